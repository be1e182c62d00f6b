import MicroHTTP

extension MockService {
    /// The record or replay step the configuration asks for, or nil.
    /// - Throws: `CassetteError` for a missing upstream, both modes at once, or an unreadable cassette.
    static func cassetteStep(
        configuration: MockConfiguration, clock: MockClock, authenticator: Authenticator, imageBase: ImageBaseURL,
        logger: Logger
    ) throws -> CassetteStep? {
        let record = configuration.recordDirectory.flatMap { $0.isEmpty ? nil : $0 }
        let replay = configuration.replayDirectory.flatMap { $0.isEmpty ? nil : $0 }
        let ids = TaskIDMap(seed: configuration.seed)
        switch (record, replay) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw CassetteError(description: "--record and --replay cannot be used together")
        case (.some(let directory), nil):
            guard let upstream = configuration.upstreamURL, !upstream.isEmpty else {
                throw CassetteError(description: "--record needs --upstream URL (the API to forward to)")
            }
            let recorder = try CassetteRecorder(
                upstream: upstream, directory: directory, clock: clock, ids: ids, logger: logger)
            logger.info("recording", [("upstream", recorder.upstream), ("cassette", directory)])
            return CassetteStep(mode: .record(recorder), authenticator: authenticator, imageBase: imageBase)
        case (nil, .some(let directory)):
            let replayer = try CassetteReplayer(
                directory: directory, ignoring: configuration.replayIgnoredFields, speed: max(0, configuration.speed),
                clock: clock, ids: ids)
            logger.info(
                "replaying",
                [
                    ("cassette", directory), ("exchanges", String(replayer.exchangeCount)),
                    ("strict", String(configuration.replayStrict)),
                ])
            return CassetteStep(
                mode: .replay(replayer, strict: configuration.replayStrict), authenticator: authenticator,
                imageBase: imageBase)
        }
    }

    /// `GET /recorded-media/<file>`: a cassette's media (404 without a cassette).
    func serveRecordedMedia(_ request: HTTPRequest) -> HTTPReply {
        cassetteMedia?.serve(request) ?? .now(APIError.apiNotFound(request.method, request.path).response)
    }
}

extension CassetteStep {
    var media: CassetteMedia {
        switch mode {
        case .record(let recorder): recorder.media
        case .replay(let replayer, _): replayer.media
        }
    }
}
