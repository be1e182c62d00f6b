/// The inline answers of the synchronous third-party image endpoints (docs/contract.md §12).
extension OpenAPIDocument {
    static var inlineImageSchemas: [(String, YAMLNode)] {
        let url = YAMLNode.map([("type", .string("string")), ("format", .string("uri"))])
        let urls = YAMLNode.map([("type", .string("array")), ("items", url)])
        let base64 = YAMLNode.map([
            ("type", .string("array")),
            ("items", .map([("type", .string("string")), ("contentEncoding", .string("base64"))])),
        ])
        let image = YAMLNode.map([
            ("type", .string("object")),
            ("required", .list(["image_url", "image_url_ttl", "image_type"].map(YAMLNode.string))),
            (
                "properties",
                .map([
                    ("image_url", url),
                    (
                        "image_url_ttl",
                        .map([("type", .string("integer")), ("description", .string("Seconds the URL is valid."))])
                    ),
                    (
                        "image_type",
                        .map([
                            ("type", .string("string")), ("enum", .list(["png", "webp", "jpeg"].map(YAMLNode.string))),
                        ])
                    ),
                ])
            ),
        ])
        let task = YAMLNode.map([
            ("type", .string("object")), ("required", .list([.string("task_id")])),
            ("properties", .map([("task_id", .map([("type", .string("string"))]))])),
        ])
        return [
            (
                "InlineTaskImages",
                .map([
                    ("type", .string("object")), ("required", .list([.string("images"), .string("task")])),
                    (
                        "properties",
                        .map([("images", .map([("type", .string("array")), ("items", image)])), ("task", task)])
                    ),
                ])
            ),
            (
                "ImageURLs",
                .map([
                    ("type", .string("object")), ("required", .list([.string("images")])),
                    ("properties", .map([("images", urls)])),
                ])
            ),
            (
                "ImageURLsOrBase64",
                .map([
                    ("type", .string("object")),
                    ("required", .list([.string("image_urls"), .string("binary_data_base64")])),
                    ("properties", .map([("image_urls", urls), ("binary_data_base64", base64)])),
                ])
            ),
        ]
    }
}
