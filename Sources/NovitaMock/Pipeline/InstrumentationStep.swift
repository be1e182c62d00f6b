import MicroHTTP

/// First and last: counts every answer in the metrics and journals every API call, whichever
/// step gave it, once its response is known.
struct InstrumentationStep: PipelineStep {
    let recorder: RequestRecorder

    func respond(to call: IncomingCall, next: @escaping @Sendable (IncomingCall) -> HTTPReply) -> HTTPReply {
        next(call).mapResponse { [recorder] response in
            recorder.record(call, response)
            return response
        }
    }
}
