import Dispatch
import Foundation
import Synchronization
import Testing

@testable import NovitaMock

/// docs/contract.md §13.3: each tenant's ledger, `GET /v3/user`, charges, refusals and the
/// balance route of the control plane.
@Suite("The account: balances, charges, BILLING_BALANCE_NOT_ENOUGH")
struct BillingTests {
    /// img2img's price in its definition: $0.0015 an image.
    static let imageCredits: Int64 = 15
    /// The default starting balance, $1000.
    static let start: Int64 = 10_000_000

    func balance(_ harness: ServiceHarness) -> Int64? {
        harness.request("GET", "/v3/user").object?["credit_balance"]?.integerValue
    }

    func setBalance(_ harness: ServiceHarness, key: String, _ body: JSONValue) -> ServiceHarness.Reply {
        harness.request("POST", "/__mock/tenants/\(key)/balance", body: JSONWriter.serialize(body))
    }

    @Test func theUserEndpointAnswersTheSDKShapeWithTheStartingBalance() throws {
        let harness = ServiceHarness { $0.creditBalanceUSD = 12.5 }
        let reply = harness.request("GET", "/v3/user")
        #expect(reply.status == 200)
        let object = try #require(reply.object)
        #expect(object["credit_balance"] == .number(JSONNumber(Int64(125_000))))
        #expect(object["allow_features"]?.arrayValue != nil)
        #expect(object["free_trial"]?.objectValue != nil)
        #expect(harness.request("GET", "/v3/user", authorized: false).reason == "MISSING_API_KEY")
        // The default is 1000 USD.
        #expect(balance(ServiceHarness()) == 10_000_000)
    }

    @Test func anAcceptedSubmitIsChargedItsPricePerImageAndTheJournalShowsIt() throws {
        let harness = ServiceHarness()
        let before = try #require(balance(harness))
        _ = try harness.submitOK(Fixtures.body(["image_num": 3]))
        #expect(balance(harness) == before - 3 * Self.imageCredits)

        let entries =
            harness.request("GET", "/__mock/requests", query: [("path", "/v3/async/img2img")])
            .object?["requests"]?.arrayValue ?? []
        let outcome = try #require(entries.last?.objectValue?["outcome"]?.objectValue)
        #expect(outcome["charged_credits"] == .number(JSONNumber(3 * Self.imageCredits)))
        #expect(outcome["credit_balance"] == .number(JSONNumber(before - 3 * Self.imageCredits)))
        #expect(outcome["task_id"]?.stringValue != nil)

        let metrics = String(decoding: harness.request("GET", "/__mock/metrics").bodyBytes, as: UTF8.self)
        #expect(metrics.contains(#"novita_mock_billing_charges_total{route="/v3/async/img2img"} 1"#))
        #expect(metrics.contains(#"novita_mock_billing_credits_total{route="/v3/async/img2img"} 45"#))
    }

    @Test func aCallThatFailsValidationIsNotCharged() throws {
        let harness = ServiceHarness()
        let before = try #require(balance(harness))
        let reply = harness.submit(Fixtures.body(["width": 64]))
        #expect(reply.reason == "INVALID_REQUEST_BODY")
        #expect(balance(harness) == before)
        #expect(harness.request("GET", "/__mock/tasks").object?["total"] == .number(JSONNumber(0)))
    }

    @Test func aCallTheBalanceCannotCoverIsRefusedAndCreatesNothing() throws {
        let harness = ServiceHarness()
        #expect(setBalance(harness, key: harness.key, ["credit_balance": 20]).status == 200)
        let refused = harness.submit(Fixtures.body(["image_num": 2]))
        #expect(refused.status == 400)
        #expect(refused.reason == "BILLING_BALANCE_NOT_ENOUGH")
        #expect(refused.message?.hasPrefix("Insufficient balance") == true)
        #expect(refused.metadata["needed_credits"] == "30")
        #expect(refused.metadata["credit_balance"] == "20")
        #expect(harness.request("GET", "/__mock/tasks").object?["total"] == .number(JSONNumber(0)))
        #expect(balance(harness) == 20)
        // One image is covered.
        _ = try harness.submitOK(Fixtures.body(["image_num": 1]))
        #expect(balance(harness) == 5)
        let metrics = String(decoding: harness.request("GET", "/__mock/metrics").bodyBytes, as: UTF8.self)
        #expect(metrics.contains(#"novita_mock_billing_refusals_total{route="/v3/async/img2img"} 1"#))
    }

    /// The check and the debit are one step: 64 submits at once against a balance that covers
    /// 10 leave exactly 10 tasks and a balance of zero, never below.
    @Test func concurrentSubmitsNeverOverdraw() throws {
        let harness = ServiceHarness()
        #expect(
            setBalance(harness, key: harness.key, ["credit_balance": .number(JSONNumber(10 * Self.imageCredits))])
                .status == 200)
        let body = Fixtures.body(["prompt": "concurrent"])
        let statuses = Mutex<[Int: Int]>([:])
        let reasons = Mutex<Set<String>>([])
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            let reply = harness.submit(body)
            statuses.withLock { $0[reply.status, default: 0] += 1 }
            if let reason = reply.reason { _ = reasons.withLock { $0.insert(reason) } }
        }
        #expect(statuses.withLock { $0 } == [200: 10, 400: 54])
        #expect(reasons.withLock { $0 } == ["BILLING_BALANCE_NOT_ENOUGH"])
        #expect(balance(harness) == 0)
        #expect(harness.request("GET", "/__mock/tasks").object?["total"] == .number(JSONNumber(10)))
    }

    @Test func aTenantAtZeroIsRefusedWhileAnotherKeepsWorking() throws {
        var broke = ServiceHarness()
        broke.key = "tenant-broke"
        var other = ServiceHarness(wrapping: broke.service)
        other.key = "tenant-other"
        #expect(setBalance(broke, key: "tenant-broke", ["balance_usd": 0]).status == 200)
        #expect(broke.submit(Fixtures.body()).reason == "BILLING_BALANCE_NOT_ENOUGH")
        _ = try other.submitOK(Fixtures.body())
        #expect(balance(other) == Self.start - Self.imageCredits)
        #expect(balance(broke) == 0)
        // Reads are free at zero: the poll and the account still answer.
        #expect(broke.request("GET", "/v3/user").status == 200)
    }

    @Test func theBalanceRouteTakesAKeyPrefixAndChecksItsBody() throws {
        let harness = ServiceHarness { $0.apiKeys = ["alpha-key-1", "alpha-key-2", "beta-key"] }
        let set = setBalance(harness, key: "beta", ["balance_usd": 2.5])
        #expect(set.status == 200)
        #expect(set.object?["credit_balance"] == .number(JSONNumber(Int64(25_000))))
        #expect(set.object?["api_key"]?.stringValue == "beta…")
        var beta = harness
        beta.key = "beta-key"
        #expect(balance(beta) == 25_000)
        #expect(
            harness.request("GET", "/__mock/tenants/beta-key/balance").object?["credit_balance"]
                == .number(JSONNumber(Int64(25_000))))

        let ambiguous = setBalance(harness, key: "alpha", ["credit_balance": 1])
        #expect(ambiguous.status == 400)
        #expect(ambiguous.message?.contains("prefix of 2 keys") == true)
        let both = setBalance(harness, key: "beta-key", ["credit_balance": 1, "balance_usd": 1])
        #expect(both.status == 400)
        #expect(both.metadata["path"] == "body")
        let negative = setBalance(harness, key: "beta-key", ["credit_balance": -5])
        #expect(negative.metadata["path"] == "credit_balance")
        #expect(harness.request("POST", "/__mock/tenants/beta-key/other", body: Array("{}".utf8)).status == 404)

        let listed = harness.request("GET", "/__mock/tenants").object?["tenants"]?.arrayValue ?? []
        #expect(listed.count == 1)
        #expect(balance(beta) == 25_000)
    }

    @Test func resetGivesTheStartingBalanceBack() throws {
        let harness = ServiceHarness()
        _ = try harness.submitOK(Fixtures.body())
        #expect(balance(harness) == Self.start - Self.imageCredits)
        #expect(harness.request("POST", "/__mock/reset", query: [("api_key", harness.key)]).status == 200)
        #expect(balance(harness) == 10_000_000)
    }

    /// A definition with a price charges through any controller: an editor given one here.
    @Test func aPricedEditorIsChargedAndAFailedOneIsNot() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("priced-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        var text = try String(
            contentsOf: root.appendingPathComponent("fixtures/endpoints/cleanup.json"), encoding: .utf8)
        text = text.replacingOccurrences(
            of: "\"source\":", with: "\"price\": {\"usd\": 0.002, \"per\": \"image\"},\n  \"source\":")
        try text.write(to: directory.appendingPathComponent("cleanup.json"), atomically: true, encoding: .utf8)
        let harness = ServiceHarness { $0.endpointsDirectory = directory.path }
        let image = Fixtures.pngBase64
        let ok = harness.request(
            "POST", "/v3/cleanup",
            body: JSONWriter.serialize(["image_file": .string(image), "mask_file": .string(image)]))
        #expect(ok.status == 200, "\(ok.message ?? "")")
        #expect(balance(harness) == Self.start - 20)
        let bad = harness.request("POST", "/v3/cleanup", body: JSONWriter.serialize(["image_file": .string(image)]))
        #expect(bad.status == 400)
        #expect(balance(harness) == Self.start - 20)
    }

    @Test func balancesSurviveARestartWithTheStateDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let harness = ServiceHarness { $0.stateDirectory = directory.path }
            _ = try harness.submitOK(Fixtures.body(["image_num": 2]))
            #expect(setBalance(harness, key: "someone-else", ["credit_balance": 777]).status == 200)
            harness.service.stop()
        }
        let again = ServiceHarness { $0.stateDirectory = directory.path }
        #expect(balance(again) == Self.start - 30)
        var someone = again
        someone.key = "someone-else"
        #expect(balance(someone) == 777)
        again.service.stop()
    }
}
