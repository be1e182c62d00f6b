import MicroHTTP
import Synchronization

/// Request counters and latency histograms for `GET /__mock/metrics` (Prometheus text format).
///
/// Every request records here, from every poll thread at once, so the counts are kept in a few
/// shards picked by the recording thread and summed only when scraped: one shared lock was the
/// most contended lock of a task-result poll.
final class Metrics: Sendable {
    static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private struct Histogram {
        var buckets = [Int](repeating: 0, count: Metrics.latencyBuckets.count)
        var count = 0
        var sum = 0.0

        mutating func record(_ seconds: Double, bucket: Int?) {
            count += 1
            sum += seconds
            if let bucket { buckets[bucket] += 1 }
        }

        mutating func add(_ other: Histogram) {
            count += other.count
            sum += other.sum
            for index in buckets.indices { buckets[index] += other.buckets[index] }
        }
    }

    /// A route's requests by method and status (a handful each, so a list), and its latency.
    private struct RouteStats {
        var counts: [(method: String, status: Int, count: Int)] = []
        var latency = Histogram()

        mutating func record(method: String, status: Int, _ seconds: Double, bucket: Int?) {
            if let index = counts.firstIndex(where: { $0.status == status && $0.method == method }) {
                counts[index].count += 1
            } else {
                counts.append((method, status, 1))
            }
            latency.record(seconds, bucket: bucket)
        }

        mutating func add(_ other: RouteStats) {
            for entry in other.counts {
                if let index = counts.firstIndex(where: { $0.status == entry.status && $0.method == entry.method }) {
                    counts[index].count += entry.count
                } else {
                    counts.append(entry)
                }
            }
            latency.add(other.latency)
        }
    }

    /// One `novita_mock_http_requests_total` series: hashed as it is, no key string built per request.
    private struct RequestKey: Hashable, Comparable {
        var route: String
        var method: String
        var status: Int

        static func < (a: RequestKey, b: RequestKey) -> Bool {
            (a.route, a.method, a.status) < (b.route, b.method, b.status)
        }
    }

    /// The routes early answers count under (`recordEarly`): always GET and 200, so each is a
    /// histogram at a fixed place in a shard — no route string hashed on every poll — added to its
    /// route's series when scraped.
    enum EarlyRoute: Int, CaseIterable, Sendable {
        case taskResult, image, video, inspection

        var label: String {
            switch self {
            case .taskResult: FinishedPollResponder.route
            case .inspection: InspectionResponder.route
            case .image: CachedMediaResponder.imageRoute
            case .video: CachedMediaResponder.videoRoute
            }
        }
    }

    private struct State {
        /// By route: one hash lookup per request finds both its counters and its histogram.
        var routes: [String: RouteStats] = [:]
        /// The early answers, by `EarlyRoute`.
        var early = [Histogram](repeating: Histogram(), count: EarlyRoute.allCases.count)
        var webhookOutcomes: [String: Int] = [:]
        var storageOutcomes: [String: Int] = [:]
        /// Billing by route: accepted charges, their credits, and calls refused for the balance.
        var charges: [String: Int] = [:]
        var chargedCredits: [String: Int64] = [:]
        var billingRefusals: [String: Int] = [:]

        mutating func add(_ other: State) {
            charges.merge(other.charges, uniquingKeysWith: +)
            chargedCredits.merge(other.chargedCredits, uniquingKeysWith: +)
            billingRefusals.merge(other.billingRefusals, uniquingKeysWith: +)
            for (route, stats) in other.routes { routes[route, default: RouteStats()].add(stats) }
            for index in early.indices { early[index].add(other.early[index]) }
            webhookOutcomes.merge(other.webhookOutcomes, uniquingKeysWith: +)
            storageOutcomes.merge(other.storageOutcomes, uniquingKeysWith: +)
        }
    }

    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    private let shards = (0..<CurrentCPU.shareCount).map { _ in Shard() }
    /// The same shards, borrowed (`withShardState`): `shards` holds them.
    private let borrowedShards: [Unmanaged<Shard>]

    init() {
        borrowedShards = shards.map { .passUnretained($0) }
    }

    /// The shard of the CPU the calling thread runs on (`CurrentCPU`): a hash of the thread's id
    /// could put both poll threads on one shard.
    private func withShardState(_ body: (inout State) -> Void) {
        // Not retained: counting references to a shard on every request would be one more cache
        // line both poll threads write.
        borrowedShards[CurrentCPU.share]._withUnsafeGuaranteedRef {
            $0.state.withLock { body(&$0) }
        }
    }

    func record(route: String, method: String, status: Int, seconds: Double) {
        // Key and bucket outside the lock; the histogram is updated in place (no array copy).
        let bucket = Metrics.latencyBuckets.firstIndex { seconds <= $0 }
        withShardState { state in
            state.routes[route, default: RouteStats()].record(method: method, status: status, seconds, bucket: bucket)
        }
    }

    /// `record(route: route.label, method: "GET", status: 200, seconds:)`, for what is answered
    /// most: one array index instead of a route looked up.
    func recordEarly(_ route: EarlyRoute, seconds: Double) {
        let bucket = Metrics.latencyBuckets.firstIndex { seconds <= $0 }
        withShardState { $0.early[route.rawValue].record(seconds, bucket: bucket) }
    }

    func recordWebhook(outcome: String) {
        withShardState { $0.webhookOutcomes[outcome, default: 0] += 1 }
    }

    func recordStorage(outcome: String) {
        withShardState { $0.storageOutcomes[outcome, default: 0] += 1 }
    }

    func recordCharge(route: String, credits: Int64) {
        withShardState { state in
            state.charges[route, default: 0] += 1
            state.chargedCredits[route, default: 0] += credits
        }
    }

    func recordBillingRefusal(route: String) {
        withShardState { $0.billingRefusals[route, default: 0] += 1 }
    }

    /// The gauges the owner knows at scrape time.
    struct Gauges {
        var tasksByStatus: [TaskStatus: Int]
        var queueDepth: Int
        var running: Int
        var imageCacheBytes: Int
        var inputImageBytes: Int
        var journalEntries: Int
        var journalBytes: Int
        var faultRules: Int
        var webhookPending: Int
    }

    func render(_ gauges: Gauges) -> String {
        var snapshot = State()
        for shard in shards { snapshot.add(shard.state.withLock { $0 }) }
        for route in EarlyRoute.allCases where snapshot.early[route.rawValue].count > 0 {
            let answered = snapshot.early[route.rawValue]
            snapshot.routes[route.label, default: RouteStats()].add(
                RouteStats(counts: [("GET", 200, answered.count)], latency: answered))
        }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func gauge(_ name: String, _ help: String, _ value: Int) {
            header(name, "gauge", help)
            out += "\(name) \(value)\n"
        }
        func label(_ value: String) -> String { value.escaping(String.prometheusLabelEscapes) }
        func number(_ value: Double) -> String {
            value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }

        header("novita_mock_http_requests_total", "counter", "HTTP requests answered, by route, method and status.")
        let requests = snapshot.routes.flatMap { route, stats in
            stats.counts.map { (RequestKey(route: route, method: $0.method, status: $0.status), $0.count) }
        }
        for (key, count) in requests.sorted(by: { $0.0 < $1.0 }) {
            out +=
                "novita_mock_http_requests_total{route=\"\(label(key.route))\",method=\"\(label(key.method))\",status=\"\(key.status)\"} \(count)\n"
        }
        header("novita_mock_http_request_duration_seconds", "histogram", "Time to answer a request, by route.")
        for route in snapshot.routes.keys.sorted() {
            let histogram = snapshot.routes[route]!.latency
            var cumulative = 0
            for (index, bound) in Metrics.latencyBuckets.enumerated() {
                cumulative += histogram.buckets[index]
                out +=
                    "novita_mock_http_request_duration_seconds_bucket{route=\"\(label(route))\",le=\"\(number(bound))\"} \(cumulative)\n"
            }
            out +=
                "novita_mock_http_request_duration_seconds_bucket{route=\"\(label(route))\",le=\"+Inf\"} \(histogram.count)\n"
            out += "novita_mock_http_request_duration_seconds_sum{route=\"\(label(route))\"} \(histogram.sum)\n"
            out += "novita_mock_http_request_duration_seconds_count{route=\"\(label(route))\"} \(histogram.count)\n"
        }
        header("novita_mock_tasks", "gauge", "Tasks stored, by status.")
        for status in TaskStatus.allCases {
            out += "novita_mock_tasks{status=\"\(status.rawValue)\"} \(gauges.tasksByStatus[status] ?? 0)\n"
        }
        gauge("novita_mock_queue_depth", "Tasks waiting for a simulated GPU slot.", gauges.queueDepth)
        gauge("novita_mock_tasks_running", "Tasks holding a simulated GPU slot.", gauges.running)
        header("novita_mock_webhook_deliveries_total", "counter", "Webhook delivery attempts, by outcome.")
        for outcome in ["delivered", "failed", "abandoned"] {
            out +=
                "novita_mock_webhook_deliveries_total{outcome=\"\(outcome)\"} \(snapshot.webhookOutcomes[outcome] ?? 0)\n"
        }
        gauge("novita_mock_webhook_pending", "Webhook deliveries waiting for a retry.", gauges.webhookPending)
        header("novita_mock_storage_uploads_total", "counter", "Custom-storage uploads, by outcome.")
        for outcome in ["stored", "failed"] {
            out +=
                "novita_mock_storage_uploads_total{outcome=\"\(outcome)\"} \(snapshot.storageOutcomes[outcome] ?? 0)\n"
        }
        gauge("novita_mock_image_cache_bytes", "Bytes of encoded images in the cache.", gauges.imageCacheBytes)
        gauge("novita_mock_input_image_bytes", "Bytes of input images kept for rendering.", gauges.inputImageBytes)
        gauge("novita_mock_journal_entries", "Requests held by the journal.", gauges.journalEntries)
        gauge("novita_mock_journal_bytes", "Approximate bytes held by the journal.", gauges.journalBytes)
        gauge("novita_mock_fault_rules", "Fault rules in force.", gauges.faultRules)
        header("novita_mock_billing_charges_total", "counter", "Calls charged their price, by route.")
        for route in snapshot.charges.keys.sorted() {
            out += "novita_mock_billing_charges_total{route=\"\(label(route))\"} \(snapshot.charges[route]!)\n"
        }
        header(
            "novita_mock_billing_credits_total", "counter", "Credits (0.0001 USD) charged to the tenants, by route.")
        for route in snapshot.chargedCredits.keys.sorted() {
            out += "novita_mock_billing_credits_total{route=\"\(label(route))\"} \(snapshot.chargedCredits[route]!)\n"
        }
        header(
            "novita_mock_billing_refusals_total", "counter",
            "Calls refused with BILLING_BALANCE_NOT_ENOUGH, by route.")
        for route in snapshot.billingRefusals.keys.sorted() {
            out += "novita_mock_billing_refusals_total{route=\"\(label(route))\"} \(snapshot.billingRefusals[route]!)\n"
        }
        return out
    }
}
