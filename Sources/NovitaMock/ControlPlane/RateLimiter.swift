import ASCIIText
import DequeModule
import Synchronization

/// Per-tenant request limits, counted in a sliding window on the mock's clock; off by default.
/// `--rate-limit img2img=10/min,task-result=20/s` names endpoints by the last segment of their path
/// or by their documented rate-limit class (`remove_background`); `--rate-limit novita` applies
/// every class Novita documents (the definitions' `rate_limit`: images or requests per minute).
final class RateLimiter: Sendable {
    struct Limit: Sendable, Equatable {
        /// The name it was given (`img2img`, `remove_background`, …).
        let route: String
        /// The paths it counts, together: one class can cover several endpoints.
        let paths: Set<String>
        let count: Int
        let periodMs: Int64
    }

    let limits: [Limit]
    private let windows = Mutex<[String: Deque<Int64>]>([:])

    init(limits: [Limit]) {
        self.limits = limits
    }

    /// The names `--rate-limit` takes, with the paths each covers: every definition's last path
    /// segment and its documented class.
    static func routeNames(_ catalog: EndpointCatalog) -> [String: Set<String>] {
        var names: [String: Set<String>] = [:]
        for definition in catalog.definitions {
            if let last = definition.path.split(separator: "/").last {
                names[String(last), default: []].insert(definition.path)
            }
            if let documented = definition.rateLimit { names[documented.name, default: []].insert(definition.path) }
        }
        return names
    }

    /// Parses `name=N/unit[,…]` with unit `s`, `sec`, `min`, `h` or `hour`, and `novita` for the
    /// documented limits.
    static func parse(_ text: String, catalog: EndpointCatalog = .builtIn) throws(APIError) -> [Limit] {
        let names = routeNames(catalog)
        var limits: [Limit] = []
        for part in text.split(separator: ",") {
            if part.trimmingSpaces == "novita" {
                limits += documented(catalog)
                continue
            }
            let pieces = part.split(separator: "=", maxSplits: 1)
            let rate = pieces.count == 2 ? pieces[1].split(separator: "/", maxSplits: 1) : []
            let units: [String: Int64] = [
                "s": 1000, "sec": 1000, "second": 1000, "min": 60_000, "minute": 60_000, "h": 3_600_000,
                "hour": 3_600_000,
            ]
            guard pieces.count == 2, let paths = names[pieces[0].trimmingSpaces], rate.count == 2,
                let count = Int(rate[0].trimmingSpaces), count > 0, let period = units[rate[1].trimmingSpaces]
            else {
                throw APIError.invalidBody(
                    "--rate-limit: expected novita, or name=N/unit with name in \(names.keys.sorted().joined(separator: ", ")) and unit s, min or h, got \(part)"
                )
            }
            limits.append(Limit(route: pieces[0].trimmingSpaces, paths: paths, count: count, periodMs: period))
        }
        return limits
    }

    /// Novita's documented per-minute limits, one window per class. An `images` class counts
    /// requests: each of its endpoints makes one image per call, or `image_num` of them, which the
    /// mock does not weigh.
    static func documented(_ catalog: EndpointCatalog) -> [Limit] {
        var byClass: [(name: String, perMinute: Int, paths: Set<String>)] = []
        for definition in catalog.definitions {
            guard let documented = definition.rateLimit else { continue }
            if let index = byClass.firstIndex(where: { $0.name == documented.name }) {
                byClass[index].paths.insert(definition.path)
            } else {
                byClass.append((documented.name, documented.perMinute, [definition.path]))
            }
        }
        return byClass.map { Limit(route: $0.name, paths: $0.paths, count: $0.perMinute, periodMs: 60_000) }
    }

    /// Records one request of `tenant` on `path` at `now`; returns the seconds to wait when it
    /// is over any of the route's limits (the request is then counted by none of them).
    func admit(path: String, tenant: String, now: Int64) -> Int? {
        let applying = limits.indices.filter { limits[$0].paths.contains(path) }
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
