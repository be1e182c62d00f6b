import ArgumentParser
import FoundationEssentials
import NovitaMock

/// `novita-mock conformance`: the suite of the endpoint definitions sent to the upstream and to
/// the emulation, and every difference between their answers (docs/record-replay.md).
struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "novita-mock conformance",
        abstract: "Compare the emulation with an upstream (Novita, or another mock) request by request.",
        discussion:
            "The suite: each endpoint definition's example, and each field rule's edges just inside (expected to be accepted) and just outside (expected to be refused). Exit status 0 when every answer agrees, 1 when anything differs."
    )

    @Option(help: "The API to check against, e.g. https://api.novita.ai.") var upstream: String?
    @Option(help: "The key sent to the upstream (and to --against).") var apiKey: String?
    @Option(help: "A suite file (as --dry-run --json writes it) instead of the one built from the definitions.")
    var suite: String?
    @Option(help: "Also write the report as JSON to this file ('-' for standard output instead of the text).")
    var json: String?
    @Option(help: "Refuse to start when the accepted requests of the suite could cost more than this, in USD.")
    var maxCost = 1.0
    @Flag(help: "Print the suite and what it may cost; send nothing.") var dryRun = false
    @Option(help: "Endpoint definition files laid over the built-in ones (as the server's --endpoints).")
    var endpoints: String?
    @Option(help: "Compare with a running mock at this URL instead of an in-process one.") var against: String?

    func run() throws {
        let suite: ConformanceSuite
        if let file = self.suite {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--suite: cannot read \(file)")
            }
            suite = try ConformanceSuite.load(Array(data), file: file)
        } else {
            suite = try ConformanceSuite.build(endpointsDirectory: endpoints)
        }
        if dryRun {
            print(json == "-" ? suite.json : suite.listing)
            return
        }
        guard let upstream, !upstream.isEmpty else { throw ValidationError("--upstream URL is needed (or --dry-run)") }
        guard let apiKey, !apiKey.isEmpty else { throw ValidationError("--api-key is needed (or --dry-run)") }
        guard suite.costUSD <= maxCost else {
            throw ValidationError(
                "the suite may cost $\(suite.costUSD) at the upstream, over --max-cost \(maxCost): raise it or trim the suite (--dry-run --json - > suite.json, then --suite suite.json)"
            )
        }
        let mock =
            try against.map { ConformanceCheck.httpSender(base: $0, apiKey: apiKey) }
            ?? ConformanceCheck.inProcessSender(endpointsDirectory: endpoints, apiKey: apiKey)
        let report = ConformanceCheck(upstream: ConformanceCheck.httpSender(base: upstream, apiKey: apiKey), mock: mock)
            .run(suite)
        if let json {
            if json == "-" {
                print(report.json)
            } else {
                try Data(report.json.utf8).write(to: URL(fileURLWithPath: json))
                print(report.text)
            }
        } else {
            print(report.text)
        }
        if report.differenceCount > 0 { throw ExitCode(1) }
    }
}
