import Testing

@testable import NovitaMock

@Suite("RateLimiter")
struct RateLimiterTests {
    /// `--rate-limit task-result=100/min,task-result=2/s`: the tighter second entry must bind too.
    @Test func everyEntryForARouteApplies() throws {
        let limiter = RateLimiter(limits: try RateLimiter.parse("task-result=100/min,task-result=2/s"))
        let path = "/v3/async/task-result"
        #expect(limiter.admit(path: path, tenant: "k", now: 0) == nil)
        #expect(limiter.admit(path: path, tenant: "k", now: 10) == nil)
        #expect(limiter.admit(path: path, tenant: "k", now: 20) == 1)
        // A second later the per-second window has room again; the per-minute one always had.
        #expect(limiter.admit(path: path, tenant: "k", now: 1000) == nil)
    }

    @Test func aRefusedRequestIsCountedByNoLimit() throws {
        let limiter = RateLimiter(limits: try RateLimiter.parse("model=3/min,model=1/s"))
        let path = "/v3/model"
        #expect(limiter.admit(path: path, tenant: "k", now: 0) == nil)
        // Refused by the per-second entry: the per-minute entry must not count these.
        for ms in stride(from: 100, to: 1000, by: 100) {
            #expect(limiter.admit(path: path, tenant: "k", now: Int64(ms)) != nil)
        }
        #expect(limiter.admit(path: path, tenant: "k", now: 1000) == nil)
        #expect(limiter.admit(path: path, tenant: "k", now: 2000) == nil)
        // Now the per-minute entry is full (3 admitted) and says when its oldest leaves: 58 s.
        #expect(limiter.admit(path: path, tenant: "k", now: 3000) == 57)
    }
}

@Suite("RateLimiter names from the definitions")
struct RateLimiterNamesTests {
    @Test func anEditorIsNamedByItsPathOrItsDocumentedClass() throws {
        let byPath = try RateLimiter.parse("cleanup=2/min")
        #expect(byPath.first?.paths == ["/v3/cleanup"])
        // One class covers the synchronous editor and its asynchronous twin: one window for both.
        let byClass = RateLimiter(limits: try RateLimiter.parse("replace_background=1/min"))
        #expect(byClass.admit(path: "/v3/replace-background", tenant: "k", now: 0) == nil)
        #expect(byClass.admit(path: "/v3/async/replace-background", tenant: "k", now: 10) == 60)
    }

    @Test func novitaAppliesEveryDocumentedLimit() throws {
        let limits = try RateLimiter.parse("novita")
        let cleanup = try #require(limits.first { $0.paths.contains("/v3/cleanup") })
        #expect(cleanup.count == 10 && cleanup.periodMs == 60_000)
        #expect(limits.first { $0.paths.contains("/v3/async/txt2img") }?.count == 20)
        #expect(!limits.contains { $0.paths.contains("/v3/async/task-result") })
    }

    @Test func anUnknownNameListsTheKnownOnes() {
        #expect(throws: APIError.self) { try RateLimiter.parse("paint=1/s") }
        let problem = MockConfiguration.rateLimitProblem("paint=1/s") ?? ""
        #expect(problem.contains("remove-background") && problem.contains("remove_background"))
    }
}
