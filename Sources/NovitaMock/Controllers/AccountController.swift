import MicroHTTP

/// The account area (docs/contract.md §13.3): `GET /v3/user` answers the tenant's balance as the
/// Python SDK's `UserInfoResponse` and the `cnovita account balance` command read it.
struct AccountController: Sendable {
    let authenticator: Authenticator
    let ledger: Ledger

    /// `GET /v3/user`: `{"allow_features": [], "credit_balance": <0.0001 USD>, "free_trial": {}}`.
    /// A read: it changes nothing, not even a tenant's first balance.
    func userInfo(_ request: HTTPRequest) -> HTTPReply {
        authenticator.authenticated(request) { tenant in
            .now(
                .json([
                    "allow_features": [],
                    "credit_balance": .number(JSONNumber(ledger.balance(of: tenant))),
                    "free_trial": [:],
                ]))
        }
    }
}
