import Foundation
import ProdVisualStore

/// RFC 3339 timestamps in UTC with whole seconds, as in the API document ("2026-03-05T14:32:10Z").
public func wireTimestamp(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
}

/// EcomViz writes times with milliseconds, as in its document: "2024-01-01T00:00:00.000Z".
public func wireTimestampMillis(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
}

extension GenerationService {
    /// The body of a webhook event, as the API document shows it:
    /// `{"event": "generation.completed", "data": {...}, "timestamp": "..."}`. Built once, at the
    /// first attempt, from the subject's state then; retries send the same bytes.
    func webhookPayload(for delivery: WebhookDelivery) async throws -> String {
        let data: [String: Any]
        switch delivery.event {
        case .productGenerated:
            return try await productPayload(for: delivery)
        case .vtoCompleted:
            return try await tryOnPayload(for: delivery)
        case .generationCompleted, .generationFailed:
            guard let record = try await store.generation(id: delivery.subjectID) else {
                throw ServiceError.notFound("generation \(delivery.subjectID) no longer exists")
            }
            data = try await generationData(record)
        case .batchCompleted:
            guard let batch = try await store.batch(id: delivery.subjectID) else {
                throw ServiceError.notFound("batch \(delivery.subjectID) no longer exists")
            }
            let items = try await store.generations(batchID: batch.id)
            var itemData: [[String: Any]] = []
            for item in items { itemData.append(try await generationData(item)) }
            data = [
                "batch_id": batch.id, "status": batch.status.rawValue, "total_items": batch.totalItems,
                "completed_items": items.count { $0.status == .completed }, "failed_items": items.count { $0.status == .failed },
                "credits_used": items.reduce(0) { $0 + $1.creditsUsed }, "items": itemData,
                "created_at": wireTimestamp(batch.createdAt),
                "completed_at": batch.completedAt.map(wireTimestamp) ?? NSNull(),
            ]
        }
        let body: [String: Any] = ["event": delivery.event.rawValue, "data": data, "timestamp": wireTimestamp(delivery.createdAt)]
        let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: json, as: UTF8.self)
    }

    /// EcomViz's notification: `{productId, status, generatedImages}`, with the task's token.
    private func productPayload(for delivery: WebhookDelivery) async throws -> String {
        guard let batch = try await store.batch(id: delivery.subjectID), let productID = batch.productID else {
            throw ServiceError.notFound("task \(delivery.subjectID) no longer exists")
        }
        let items = try await store.generations(batchID: batch.id)
        let now = clock()
        let images = items.filter { $0.status == .completed }.map { record in
            let url = record.purgedAt == nil && record.expiresAt > now ? record.outputFile.map { outputs.url(for: $0, expiresAt: record.expiresAt) } : nil
            return ProductService.imageObject(record, url: url)
        }
        let failed = items.filter { $0.status == .failed }.map { record -> [String: Any] in
            let parameters = (try? JSONSerialization.jsonObject(with: Data(record.parameters.utf8)) as? [String: Any]) ?? [:]
            return ["_id": record.id, "generationParams": parameters,
                    "error": ["code": record.errorCode ?? ServiceError.Kind.serverError.rawValue, "message": record.errorMessage ?? ""]]
        }
        var body: [String: Any] = [
            "productId": productID, "taskId": batch.id, "status": batch.status.rawValue, "generatedImages": images,
            "failedImages": failed, "event": delivery.event.rawValue, "timestamp": wireTimestampMillis(delivery.createdAt),
        ]
        if let token = batch.webhookToken { body["token"] = token }
        let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: json, as: UTF8.self)
    }

    /// EcomViz's try-on notification: `{vtoId, status, generatedImages, createdAt, updatedAt}`,
    /// with the task's token.
    private func tryOnPayload(for delivery: WebhookDelivery) async throws -> String {
        guard let batch = try await store.batch(id: delivery.subjectID) else {
            throw ServiceError.notFound("try-on task \(delivery.subjectID) no longer exists")
        }
        let task = try await TryOnService(store: store, generations: self, clock: clock).task(id: batch.id, accountID: batch.accountID)
        var body: [String: Any] = [
            "vtoId": batch.id, "status": task.status,
            "generatedImages": task.images.map { ["filePath": $0.url ?? NSNull(), "_id": $0.record.id] as [String: Any] },
            "failedImages": task.failures.map { ["_id": $0.id, "error": ["code": $0.errorCode ?? "server_error", "message": $0.errorMessage ?? ""]] as [String: Any] },
            "createdAt": wireTimestampMillis(batch.createdAt), "updatedAt": wireTimestampMillis(task.updatedAt),
            "event": delivery.event.rawValue,
        ]
        if let token = batch.webhookToken { body["token"] = token }
        let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: json, as: UTF8.self)
    }

    private func generationData(_ record: GenerationRecord) async throws -> [String: Any] {
        let view = try await generation(id: record.id, accountID: record.accountID)
        var data: [String: Any] = [
            "id": record.id, "status": record.status.rawValue, "output_url": view.outputURL ?? NSNull(),
            "credits_used": record.creditsUsed, "style": record.style, "platform": record.platform,
            "dimensions": "\(record.width)x\(record.height)", "format": record.format,
            "file_size": record.fileSize ?? NSNull(), "generation_time_ms": record.generationTimeMs ?? NSNull(),
            "created_at": wireTimestamp(record.createdAt), "expires_at": wireTimestamp(record.expiresAt),
        ]
        if let batchID = record.batchID { data["batch_id"] = batchID }
        if record.status == .failed {
            data["error"] = ["code": record.errorCode ?? ServiceError.Kind.serverError.rawValue, "message": record.errorMessage ?? ""]
        }
        return data
    }
}
