import ASCIIText
import DequeModule
import Synchronization

/// Per-tenant request limits (`--rate-limit img2img=10/min,task-result=20/s`), counted in a
/// sliding window on the mock's clock; off by default.
final class RateLimiter: Sendable {
    struct Limit: Sendable, Equatable {
        /// The route name: `img2img`, `txt2img`, `upscale`, `task-result` or `model`.
        let route: String
        let count: Int
        let periodMs: Int64
    }

    static let routeNames = [
        "img2img": "/v3/async/img2img", "txt2img": "/v3/async/txt2img", "upscale": "/v3/async/upscale",
        "task-result": "/v3/async/task-result", "model": "/v3/model",
    ]

    let limits: [Limit]
    private let windows = Mutex<[String: Deque<Int64>]>([:])

    init(limits: [Limit]) {
        self.limits = limits
    }

    /// Parses `name=N/unit[,…]` with unit `s`, `sec`, `min`, `h` or `hour`.
    static func parse(_ text: String) throws(APIError) -> [Limit] {
        var limits: [Limit] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            let rate = pieces.count == 2 ? pieces[1].split(separator: "/", maxSplits: 1) : []
            let units: [String: Int64] = [
                "s": 1000, "sec": 1000, "second": 1000, "min": 60_000, "minute": 60_000, "h": 3_600_000,
                "hour": 3_600_000,
            ]
            guard pieces.count == 2, routeNames[pieces[0].trimmingSpaces] != nil, rate.count == 2,
                let count = Int(rate[0].trimmingSpaces), count > 0, let period = units[rate[1].trimmingSpaces]
            else {
                throw APIError.invalidBody(
                    "--rate-limit: expected route=N/unit with route in \(routeNames.keys.sorted().joined(separator: ", ")) and unit s, min or h, got \(part)"
                )
            }
            limits.append(Limit(route: pieces[0].trimmingSpaces, count: count, periodMs: period))
        }
        return limits
    }

    /// Records one request of `tenant` on `path` at `now`; returns the seconds to wait when it
    /// is over any of the route's limits (the request is then counted by none of them).
    func admit(path: String, tenant: String, now: Int64) -> Int? {
        let applying = limits.indices.filter { Self.routeNames[limits[$0].route] == path }
        guard !applying.isEmpty else { return nil }
        return windows.withLock { windows in
            // Each entry has its own window, keyed by its position: two entries for one route
            // (`10/min` and `2/s`) both bind.
            var longestWait: Int? = nil
            for index in applying {
                let limit = limits[index]
                let key = "\(index)\u{0}\(tenant)"
                var window = windows[key] ?? Deque()
                while let oldest = window.first, oldest <= now - limit.periodMs { _ = window.popFirst() }
                windows[key] = window
                if window.count >= limit.count {
                    let oldest = window.first ?? now
                    let wait = Int(max(1, (oldest + limit.periodMs - now + 999) / 1000))
                    longestWait = max(longestWait ?? 0, wait)
                }
            }
            if longestWait != nil { return longestWait }
            for index in applying { windows["\(index)\u{0}\(tenant)", default: Deque()].append(now) }
            return nil
        }
    }

    func reset(tenant: String?) {
        windows.withLock { windows in
            if let tenant {
                windows = windows.filter { !$0.key.hasSuffix("\u{0}\(tenant)") }
            } else {
                windows = [:]
            }
        }
    }
}
