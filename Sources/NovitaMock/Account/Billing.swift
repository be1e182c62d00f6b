import MicroHTTP

/// What a call costs and the one place it is charged (docs/contract.md §13.3). Controllers call
/// `charge` at the point where a call is known to be valid and is about to create something —
/// after validation, before the task is stored or the editor runs — and `refund` when it then
/// creates nothing. So a call that fails validation costs nothing, and a call the balance cannot
/// cover is refused with 400 `BILLING_BALANCE_NOT_ENOUGH` and leaves no trace but the refusal.
struct Billing: Sendable {
    let ledger: Ledger

    /// How many of a price's units one call uses: `image` counts images, `frame` video frames,
    /// `second` whole seconds of video; any other unit (`request`, `video`, `training` …) is one
    /// per call.
    static func units(per: String, images: Int = 1, frames: Int? = nil, framesPerSecond: Int? = nil) -> Int {
        switch per {
        case "image": return max(1, images)
        case "frame": return max(1, frames ?? 1)
        case "second":
            guard let frames, let framesPerSecond, framesPerSecond > 0 else { return 1 }
            return max(1, (frames + framesPerSecond - 1) / framesPerSecond)
        default: return 1
        }
    }

    /// The price of `units` in credits (0.0001 USD); 0 when the definition has no price.
    static func credits(_ price: EndpointDefinition.Price?, units: Int) -> Int64 {
        guard let price else { return 0 }
        return Ledger.credits(usd: price.usd * Double(max(1, units)))
    }

    /// Debits the call's price, or throws the 400 the docs' error table names.
    func charge(tenant: String, credits: Int64) throws(APIError) -> Ledger.Charge {
        do {
            return try ledger.charge(tenant, credits: credits)
        } catch {
            throw APIError.balanceNotEnough(needed: error.needed, balance: error.balance)
        }
    }

    func refund(_ charge: Ledger.Charge) {
        ledger.refund(charge)
    }

    /// Marks a response with what its call was charged, for the journal and the metrics.
    static func annotate(_ response: inout HTTPResponse, with charge: Ledger.Charge) {
        response.annotations[ResponseAnnotation.chargeCredits] = String(charge.credits)
        response.annotations[ResponseAnnotation.creditBalance] = String(charge.balanceAfter)
    }
}

extension APIError {
    /// 400 `BILLING_BALANCE_NOT_ENOUGH` ("Insufficient balance" in Novita's error table).
    static func balanceNotEnough(needed: Int64, balance: Int64) -> APIError {
        APIError(
            status: 400, reason: "BILLING_BALANCE_NOT_ENOUGH",
            message:
                "Insufficient balance: this call costs \(needed) credits (0.0001 USD each) and the balance is \(balance)",
            metadata: [("needed_credits", String(needed)), ("credit_balance", String(balance))])
    }
}
