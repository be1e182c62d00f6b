import Synchronization

/// Each tenant's credit balance, in Novita's unit of 0.0001 USD (docs/contract.md §13.3): it
/// starts at `--credit-balance`, an accepted call takes its price off, and a call the balance
/// cannot cover is refused before anything is created. One lock makes a check and its debit a
/// single step, so concurrent calls never overdraw a balance.
///
/// With `--state-dir`, every change appends the tenant's new balance to `ledger.log` (written
/// before the call is answered; the kernel keeps it through a `kill -9`), and the start replays
/// the last line of each tenant, then rewrites the file with one line per tenant.
final class Ledger: Sendable {
    /// A debit taken for one call, to give back if the call creates nothing after all.
    struct Charge: Sendable, Equatable {
        let tenant: String
        let credits: Int64
        /// The balance right after the debit.
        let balanceAfter: Int64
    }

    /// Why a call could not be charged.
    struct Shortfall: Error, Sendable {
        let needed: Int64
        let balance: Int64
    }

    private struct State {
        var balances: [String: Int64] = [:]
        var linesSinceCompaction = 0
    }

    /// The balance a tenant starts with.
    let startingCredits: Int64
    private let state: Mutex<State>
    /// `ledger.log`, open for appending; nil in memory.
    private let file: Mutex<FileIO.AppendFile?>
    private let path: String?

    /// Credits (0.0001 USD) in one US dollar.
    static let creditsPerUSD = 10_000.0

    /// - Parameter directory: the state directory, or nil to keep balances in memory.
    /// - Throws: when the directory's ledger cannot be read or rewritten.
    init(startingUSD: Double, directory: String? = nil) throws(FileIO.Failure) {
        startingCredits = Self.credits(usd: startingUSD)
        var restored: [String: Int64] = [:]
        if let directory {
            let path = directory + "/ledger.log"
            if FileIO.exists(path) {
                for line in try FileIO.read(path).split(separator: 0x0A) {
                    // A torn last line (a crash mid-write) is skipped.
                    guard let object = (try? JSONParser.parse(Array(line)))?.objectValue,
                        let tenant = object["api_key"]?.stringValue,
                        let balance = object["credit_balance"]?.integerValue
                    else { continue }
                    restored[tenant] = balance
                }
            }
            try FileIO.writeAtomically(Self.lines(restored), to: path)
            self.path = path
            file = Mutex(try FileIO.AppendFile(path: path))
        } else {
            path = nil
            file = Mutex(nil)
        }
        state = Mutex(State(balances: restored))
    }

    /// USD as whole credits, rounded to the nearest (a price of $0.0015 is 15 credits).
    static func credits(usd: Double) -> Int64 {
        guard usd.isFinite else { return 0 }
        return Int64((usd * creditsPerUSD).rounded())
    }

    func balance(of tenant: String) -> Int64 {
        state.withLock { $0.balances[tenant] ?? startingCredits }
    }

    /// Takes `credits` off the tenant's balance when it covers them, in one step.
    /// - Throws: `Shortfall` when it does not; the balance is then unchanged.
    func charge(_ tenant: String, credits: Int64) throws(Shortfall) -> Charge {
        let result: Result<Charge, Shortfall> = state.withLock { state in
            let balance = state.balances[tenant] ?? startingCredits
            guard balance >= credits else { return .failure(Shortfall(needed: credits, balance: balance)) }
            let after = balance - credits
            if credits != 0 { record(tenant, after, in: &state) }
            return .success(Charge(tenant: tenant, credits: credits, balanceAfter: after))
        }
        return try result.get()
    }

    /// Gives a charge back (the call it paid for created nothing).
    func refund(_ charge: Charge) {
        guard charge.credits != 0 else { return }
        state.withLock { state in
            let balance = state.balances[charge.tenant] ?? startingCredits
            record(charge.tenant, balance + charge.credits, in: &state)
        }
    }

    /// Sets a tenant's balance (`POST /__mock/tenants/{key}/balance`).
    func setBalance(of tenant: String, credits: Int64) {
        state.withLock { record(tenant, credits, in: &$0) }
    }

    /// Every tenant with a balance of its own (set, or charged at least once), sorted by key.
    func balances() -> [(tenant: String, credits: Int64)] {
        state.withLock { $0.balances.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    /// Back to the starting balance: one tenant, or all when nil (`POST /__mock/reset`).
    func reset(tenant: String?) {
        state.withLock { state in
            if let tenant {
                guard state.balances[tenant] != nil else { return }
                record(tenant, startingCredits, in: &state)
                state.balances[tenant] = nil
            } else {
                for key in state.balances.keys { append(key, startingCredits) }
                state.balances = [:]
            }
        }
    }

    /// Keeps the new balance and, with a state directory, appends it (the caller holds the lock,
    /// so lines are in the order of the changes). Rewrites the file once it holds far more lines
    /// than tenants.
    private func record(_ tenant: String, _ balance: Int64, in state: inout State) {
        state.balances[tenant] = balance
        guard path != nil else { return }
        append(tenant, balance)
        state.linesSinceCompaction += 1
        if state.linesSinceCompaction > 4096 + 2 * state.balances.count, let path {
            if (try? FileIO.writeAtomically(Self.lines(state.balances), to: path)) != nil {
                file.withLock { file in
                    if let reopened = try? FileIO.AppendFile(path: path) { file = reopened }
                }
                state.linesSinceCompaction = 0
            }
        }
    }

    private func append(_ tenant: String, _ balance: Int64) {
        guard path != nil else { return }
        let line = Self.line(tenant, balance)
        file.withLock { try? $0?.append(line) }
    }

    private static func line(_ tenant: String, _ balance: Int64) -> [UInt8] {
        JSONWriter.serialize(["api_key": .string(tenant), "credit_balance": .number(JSONNumber(balance))]) + [0x0A]
    }

    private static func lines(_ balances: [String: Int64]) -> [UInt8] {
        balances.sorted { $0.key < $1.key }.flatMap { line($0.key, $0.value) }
    }
}
