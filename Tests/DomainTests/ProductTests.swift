import Foundation
import Testing

@testable import ProdVisualDomain

@Suite struct ProductTests {
    @Test func namesComeFromTheRequestThenMetadataThenTheURL() {
        let urls = ["https://shop.example/img/blue-duffel_bag%20XL.jpg?w=800", "https://shop.example/b.jpg"]
        #expect(ProductNaming.name(requested: "  Weekender  ", embeddedTitles: ["Camera title"], urls: urls) == ("Weekender", "request"))
        #expect(ProductNaming.name(requested: nil, embeddedTitles: [nil, "Canvas Tote"], urls: urls) == ("Canvas Tote", "metadata"))
        #expect(ProductNaming.name(requested: " ", embeddedTitles: [nil], urls: urls) == ("Blue Duffel Bag XL", "url"))
        // Codes and mixed case are kept as written, not guessed at.
        #expect(ProductNaming.readableName(fromURL: "https://cdn.example/p/d80a51d3.jpg") == "d80a51d3")
        #expect(ProductNaming.readableName(fromURL: "https://cdn.example/p/iPhone-case.png") == "iPhone Case")
        #expect(ProductNaming.readableName(fromURL: "https://cdn.example/") == nil)
    }

    @Test func aspectRatiosKeepTheLongSide() {
        #expect(ProductService.size(ratio: "1:1", longSide: 1500) == (1500, 1500))
        #expect(ProductService.size(ratio: "4:3", longSide: 1500) == (1500, 1125))
        #expect(ProductService.size(ratio: "3:4", longSide: 1500) == (1125, 1500))
        #expect(ProductService.size(ratio: "9:16", longSide: 1440) == (810, 1440))
    }

    @Test func languageCodes() {
        #expect(ProductService.isLanguageCode("en") && ProductService.isLanguageCode("pt-BR") && ProductService.isLanguageCode("zh-Hans"))
        #expect(!ProductService.isLanguageCode("English") && !ProductService.isLanguageCode("e") && !ProductService.isLanguageCode("en_US"))
    }
}
