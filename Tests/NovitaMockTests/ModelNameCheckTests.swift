import Testing

@testable import NovitaMock

@Suite("Model names against the catalog")
struct ModelNameCheckTests {
    @Test func unknownNamesAreWarningsByDefault() {
        let reply = ServiceHarness().submit(
            Fixtures.body([
                "model_name": "no_such_model.safetensors", "loras": [["model_name": "nope", "strength": 0.5]],
            ]))
        #expect(reply.status == 200)
        let warnings = reply.header("X-Mock-Warnings") ?? ""
        #expect(warnings.contains("request.model_name: not in the model catalog"))
        #expect(warnings.contains("request.loras[0].model_name: not in the model catalog"))
    }

    @Test func strictModelsRefusesUnknownNames() {
        let harness = ServiceHarness { $0.strictModels = true }
        let reply = harness.submit(Fixtures.body(["model_name": "no_such_model.safetensors", "sd_vae": "nope.vae"]))
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.model_name")
        #expect(reply.message?.contains("a checkpoint sd_name listed by GET /v3/model") == true)
        #expect(reply.metadata["violation_count"] == "2")
    }

    @Test func strictModelsAcceptsCatalogNames() {
        let harness = ServiceHarness { $0.strictModels = true }
        let body = Fixtures.body([
            "model_name": "realcartoon25D_v3_240762.safetensors",
            "embeddings": [["model_name": "badhandv4_16755.pt"]],
            "loras": [["model_name": "add_detail_44319", "strength": 0.7]],
        ])
        let reply = harness.submit(body)
        #expect(reply.status == 200, "\(reply.message ?? "")")
        #expect(reply.header("X-Mock-Warnings") == nil)
    }

    @Test func strictModelsRefusesMixedBaseModels() {
        let harness = ServiceHarness { $0.strictModels = true }
        let sdxlWithSD15ControlNet = Fixtures.body([
            "model_name": "sd_xl_base_1.0.safetensors",
            "controlnet": [
                "units": [
                    [
                        "model_name": "control_v11p_sd15_canny", "image_base64": .string(Fixtures.pngBase64),
                        "strength": 1,
                    ]
                ]
            ],
        ])
        let reply = harness.submit(sdxlWithSD15ControlNet)
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "request.controlnet.units[0].model_name")
        #expect(reply.message?.contains("SDXL 1.0") == true)
        let sd15WithSDXLAdapter = Fixtures.body([
            "model_name": "realcartoon25D_v3_240762.safetensors",
            "ip_adapters": [
                ["model_name": "ip-adapter_sdxl.bin", "image_base64": .string(Fixtures.pngBase64), "strength": 0.5]
            ],
        ])
        let second = harness.submit(sd15WithSDXLAdapter)
        #expect(second.status == 400)
        #expect(second.metadata["path"] == "request.ip_adapters[0].model_name")
        // Without --strict-models base models are not checked.
        #expect(ServiceHarness().submit(sdxlWithSD15ControlNet).status == 200)
    }
}
