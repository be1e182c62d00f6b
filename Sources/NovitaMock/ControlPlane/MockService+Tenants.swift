import MicroHTTP

/// `/__mock/tenants…`: the tenants' credit balances (docs/contract.md §13.3, docs/control-plane.md).
extension MockService {
    /// The body of `POST /__mock/tenants/{key}/balance`: one of the two, never both.
    static let balanceSchema = ObjectSchema([
        FieldRule(
            "credit_balance", .integer(min: 0, max: 1_000_000_000_000_000), nullable: true,
            "Credits (0.0001 USD), as GET /v3/user answers them."),
        FieldRule("balance_usd", .number(0, 100_000_000_000), nullable: true, "US dollars."),
    ])

    /// `GET /__mock/tenants`: every tenant with a balance of its own, keys redacted.
    func listTenants(_ request: HTTPRequest) -> HTTPReply {
        let tenants = ledger.balances().map { balanceJSON(tenant: $0.tenant, credits: $0.credits) }
        return .now(
            .json([
                "tenants": .array(tenants),
                "starting_credit_balance": .number(JSONNumber(ledger.startingCredits)),
            ]))
    }

    /// `GET /__mock/tenants/{key}/balance`.
    func tenantBalance(_ request: HTTPRequest) -> HTTPReply {
        switch resolveTenant(request) {
        case .failure(let error): return .now(error.response)
        case .success(let tenant): return .now(.json(balanceJSON(tenant: tenant, credits: ledger.balance(of: tenant))))
        }
    }

    /// `POST /__mock/tenants/{key}/balance` with `{"credit_balance": n}` or `{"balance_usd": x}`.
    func setTenantBalance(_ request: HTTPRequest) -> HTTPReply {
        do throws(APIError) {
            let tenant = try resolveTenant(request).get()
            let body = try RequestValidator.validate(body: request.body, schema: Self.balanceSchema, mode: .strict).body
            let credits = body["credit_balance"]?.integerValue
            let usd = body["balance_usd"]?.doubleValue
            guard (credits == nil) != (usd == nil) else {
                throw APIError.violations([
                    Violation(
                        path: "body", expected: "exactly one of credit_balance (0.0001 USD) or balance_usd",
                        actual: credits == nil ? "neither" : "both")
                ])
            }
            let balance = credits ?? Ledger.credits(usd: usd ?? 0)
            ledger.setBalance(of: tenant, credits: balance)
            logger.info("balance set", [("tenant", Logger.redact(tenant)), ("credit_balance", String(balance))])
            return .now(.json(balanceJSON(tenant: tenant, credits: balance)))
        } catch {
            return .now(error.response)
        }
    }

    private func balanceJSON(tenant: String, credits: Int64) -> JSONValue {
        [
            "api_key": .string(Logger.redact(tenant)),
            "credit_balance": .number(JSONNumber(credits)),
            "balance_usd": .number(JSONNumber(Double(credits) / Ledger.creditsPerUSD)),
        ]
    }

    /// The tenant a `/__mock/tenants/{key}/balance` path names: a known key (configured with
    /// `--api-keys`, or one with a balance of its own) equal to the segment or, failing that, the
    /// only one it is a prefix of; otherwise the segment itself, as a whole key.
    private func resolveTenant(_ request: HTTPRequest) -> Result<String, APIError> {
        let rest = request.path.dropFirst("/__mock/tenants/".count).split(
            separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, rest[1] == "balance", !rest[0].isEmpty else {
            return .failure(APIError.apiNotFound(request.method, request.path))
        }
        let given = String(rest[0]).removingPercentEncoding
        var known = Set(ledger.balances().map(\.tenant))
        known.formUnion(configuration.apiKeys ?? [])
        if known.contains(given) { return .success(given) }
        let matches = known.filter { $0.hasPrefix(given) }
        if matches.count > 1 {
            return .failure(
                APIError.invalidBody(
                    "\(Logger.redact(given)) is the prefix of \(matches.count) keys; give more of the key",
                    metadata: [("path", "path key"), ("matches", String(matches.count))]))
        }
        return .success(matches.first ?? given)
    }
}

extension String {
    /// `%XX` escapes decoded (a key in a path may carry reserved characters); malformed escapes kept.
    fileprivate var removingPercentEncoding: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == 0x25, utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
