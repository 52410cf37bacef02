import Foundation
import Testing

@Suite("SOAP contract")
struct ContractCopyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the copies shipped with the binary are identical to wsdl/, the single source", arguments: ["missive.wsdl", "missive.xsd"])
    func identical(name: String) throws {
        let source = try Data(contentsOf: Self.root.appendingPathComponent("wsdl").appendingPathComponent(name))
        let shipped = try Data(contentsOf: Self.root.appendingPathComponent("Sources/MissiveSOAP/Resources").appendingPathComponent(name))
        #expect(source == shipped, "run: cp wsdl/\(name) Sources/MissiveSOAP/Resources/")
    }
}
