import Foundation
import Hummingbird
import MultipartKit
import ProdVisualDomain

/// Reads a generate request from JSON (`image_url` or `image_base64`) or multipart/form-data
/// (a file field `image`, plus the same fields as text), naming the field that is wrong.
enum GenerateRequestReader {
    /// The JSON body of POST /v1/generate. Unknown fields are ignored.
    struct Body: Decodable {
        var image_url: String?
        var image_base64: String?
        var style: String?
        var platform: String?
        var dimensions: String?
        var background: String?
        var format: String?
        var quality: Int?
        var webhook_url: String?
        var text: Text?
        var scene: String?
        var seed: Int?
        var compare_style: String?
        var colors: [String]?

        /// The words of text-bearing styles.
        struct Text: Decodable {
            var headline: String?
            var subheadline: String?
            var features: [String]?
            var badge: String?
            var width_label: String?
            var height_label: String?

            var fields: [TextField: GenerationRequest.TextValue] {
                var fields: [TextField: GenerationRequest.TextValue] = [:]
                fields[.headline] = headline.map { .string($0) }
                fields[.subheadline] = subheadline.map { .string($0) }
                fields[.features] = features.map { .list($0) }
                fields[.badge] = badge.map { .string($0) }
                fields[.widthLabel] = width_label.map { .string($0) }
                fields[.heightLabel] = height_label.map { .string($0) }
                return fields
            }
        }
    }

    /// The JSON body of POST /v1/generate/batch.
    struct BatchBody: Decodable {
        var items: [Body]?
        var webhook_url: String?
    }

    static func read(_ body: ByteBuffer, contentType header: String) throws -> GenerationRequest {
        // The media type compares without case; a multipart boundary is case-sensitive (browsers
        // send ----WebKitFormBoundaryAbC…), so the form is parsed with the header as it came.
        let contentType = header.lowercased()
        if contentType.hasPrefix("multipart/form-data") {
            return try multipart(body, contentType: header)
        }
        guard contentType.isEmpty || contentType.hasPrefix("application/json") || contentType.contains("+json") else {
            throw ServiceError.invalid("Unsupported Content-Type '\(contentType)'. Send application/json or multipart/form-data.")
        }
        try JSONBody.check(body, contentType: contentType, expecting: "a JSON object with 'image_url' and 'style'")
        return try request(from: decode(Body.self, body))
    }

    /// A batch is JSON only: `items` (each as for /v1/generate) and an optional `webhook_url`.
    static func readBatch(_ buffer: ByteBuffer, contentType header: String) throws -> (items: [GenerationRequest], webhookURL: String?) {
        let contentType = header.lowercased()
        try JSONBody.check(buffer, contentType: contentType, expecting: "a JSON object with 'items'")
        let body = try decode(BatchBody.self, buffer)
        guard let items = body.items else {
            throw ServiceError.invalid("Missing required parameter 'items': an array of generation objects (at most 50).")
        }
        let requests = try items.enumerated().map { index, item in
            do {
                return try request(from: item)
            } catch let error as ServiceError {
                throw ServiceError(error.kind, "items[\(index)]: \(error.message)", status: error.statusCode)
            }
        }
        return (requests, body.webhook_url)
    }

    /// Decodes a body, naming the parameter that does not fit.
    static func decode<T: Decodable>(_ type: T.Type, _ buffer: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.typeMismatch(type, context) {
            throw ServiceError.invalid("Parameter '\(fieldName(context))' must be \(typeName(type)).")
        } catch {
            // A number too large for its integer parameter (a seed above 2^63 - 1) fails the
            // whole decode; name it rather than blame the JSON.
            if let field = outOfRangeInteger(in: buffer) {
                throw ServiceError.invalid("Parameter '\(field)' is out of range: integers go from \(Int.min) to \(Int.max).")
            }
            throw ServiceError.invalid("The request body is not a valid JSON object.")
        }
    }

    static func request(from body: Body, upload: [UInt8]? = nil) throws -> GenerationRequest {
        let sources = [body.image_url != nil, body.image_base64 != nil, upload != nil].filter { $0 }.count
        guard sources <= 1 else {
            throw ServiceError.invalid("Send exactly one source image: 'image_url', 'image_base64' or a file field 'image'.")
        }
        var source: ImageSource?
        if let url = body.image_url {
            source = .url(url)
        } else if let encoded = body.image_base64 {
            source = .bytes(try decodeBase64(encoded))
        } else if let upload {
            source = .bytes(upload)
        }
        var request = GenerationRequest(
            source: source, style: body.style, platform: body.platform, dimensions: body.dimensions,
            background: body.background, format: body.format, quality: body.quality, webhookURL: body.webhook_url)
        request.text = body.text?.fields ?? [:]
        request.scene = body.scene
        request.seed = body.seed
        request.compareStyle = body.compare_style
        request.colors = body.colors
        return request
    }

    /// Accepts plain base64 or a data URL (`data:image/png;base64,...`).
    static func decodeBase64(_ text: String) throws -> [UInt8] {
        let payload = text.hasPrefix("data:") ? String(text.drop { $0 != "," }.dropFirst()) : text
        guard !payload.isEmpty, let data = Data(base64Encoded: payload, options: .ignoreUnknownCharacters) else {
            throw ServiceError.invalid("Parameter 'image_base64' is not valid base64.")
        }
        return Array(data)
    }

    static func multipart(_ buffer: ByteBuffer, contentType: String) throws -> GenerationRequest {
        guard let boundary = contentType.split(separator: ";")
            .map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.lowercased().hasPrefix("boundary=") })?
            .dropFirst("boundary=".count)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        else {
            throw ServiceError.invalid("multipart/form-data without a boundary parameter.")
        }
        var fields: [String: [UInt8]] = [:]
        var name: String?
        var bytes: [UInt8] = []
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { field, value in
            guard field.lowercased() == "content-disposition" else { return }
            name = value.split(separator: ";")
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix("name=") }?
                .dropFirst("name=".count)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        parser.onBody = { chunk in bytes += chunk.readableBytesView }
        var repeated: String?
        parser.onPartComplete = {
            if let name {
                if fields[name] != nil, repeated == nil { repeated = name }
                fields[name] = bytes
            }
            name = nil
            bytes = []
        }
        do {
            try parser.execute(buffer)
        } catch {
            throw ServiceError.invalid("The multipart body could not be parsed.")
        }
        // Two files (or two values) under one name: which one was meant cannot be known.
        if let repeated { throw ServiceError.invalid("The form has the field '\(repeated)' twice; send it once.") }
        if fields["image"] != nil, fields["image_file"] != nil {
            throw ServiceError.invalid("The form has both 'image' and 'image_file'; send one file.")
        }
        func text(_ key: String) -> String? { fields[key].map { String(decoding: $0, as: UTF8.self) } }
        func integer(_ key: String) throws -> Int? {
            guard let value = text(key) else { return nil }
            guard let parsed = Int(value) else { throw ServiceError.invalid("Parameter '\(key)' must be an integer.") }
            return parsed
        }
        // Structured fields travel as JSON text in a form; colours may also be comma-separated.
        var styleText: Body.Text?
        if let json = fields["text"] {
            do {
                styleText = try JSONDecoder().decode(Body.Text.self, from: Data(json))
            } catch {
                throw ServiceError.invalid("Field 'text' must be a JSON object, e.g. {\"headline\": \"New in\"}.")
            }
        }
        let colors = text("colors").map { value in
            (try? JSONDecoder().decode([String].self, from: Data(value.utf8)))
                ?? value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let body = Body(
            image_url: text("image_url"), image_base64: text("image_base64"), style: text("style"),
            platform: text("platform"), dimensions: text("dimensions"), background: text("background"),
            format: text("format"), quality: try integer("quality"), webhook_url: text("webhook_url"),
            text: styleText, scene: text("scene"), seed: try integer("seed"), compare_style: text("compare_style"), colors: colors)
        return try request(from: body, upload: fields["image"] ?? fields["image_file"])
    }

    /// The first integer parameter (`seed`, `quality`, at the top or in `items`) whose number does
    /// not fit 64 bits.
    private static func outOfRangeInteger(in buffer: ByteBuffer) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else { return nil }
        func check(_ object: [String: Any], prefix: String) -> String? {
            for key in ["seed", "quality"] {
                guard let number = object[key] as? NSNumber else { continue }
                let value = number.doubleValue
                if value >= 9.223372036854775807e18 || value < -9.223372036854775808e18 { return prefix + key }
            }
            return nil
        }
        if let field = check(object, prefix: "") { return field }
        for (index, item) in (object["items"] as? [[String: Any]] ?? []).enumerated() {
            if let field = check(item, prefix: "items[\(index)].") { return field }
        }
        return nil
    }

    /// `items[2].quality`, as the client wrote it.
    private static func fieldName(_ context: DecodingError.Context) -> String {
        context.codingPath.reduce("") { name, key in
            if let index = key.intValue { return "\(name)[\(index)]" }
            return name.isEmpty ? key.stringValue : "\(name).\(key.stringValue)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is String.Type: "a string"
        case is [String].Type: "an array of strings"
        case is [Body].Type: "an array of generation objects"
        default: "of type \(type)"
        }
    }
}
