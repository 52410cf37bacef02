import Foundation
import Testing

/// RFC 3339 text for a date, in UTC, with or without milliseconds.
func rfc3339(_ date: Date, fractionalSeconds: Bool = true) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: fractionalSeconds, timeZone: .gmt))
}

/// Withdrawing an envelope before it is dispatched.
@Suite("Cancel end to end")
struct CancelTests {
    @Test("a scheduled envelope can be cancelled and never routes")
    func scheduledEnvelopeIsCancelled() async throws {
        try await withHub { hub in
            let notBefore = rfc3339(Date().addingTimeInterval(86_400))
            let id = try await hub.send(to: "physical", extra: ["policy": ["notBefore": .string(notBefore)]])
            #expect(try await hub.envelope(id)["policy"]?["notBefore"]?.string != nil)

            let cancel = try await hub.request(.POST, "/v1/envelopes/\(id)/cancel")
            #expect(cancel.status == 200)
            #expect(try cancel.json()["status"]?.string == "cancelled")
            let events = try await hub.events(of: id)
            #expect(events.compactMap { $0["type"]?.string } == ["accepted", "cancelled"])
            #expect(events.last?["reason"]?["code"]?.string != nil)

            // Cancelling again answers the same; nothing is added.
            let again = try await hub.request(.POST, "/v1/envelopes/\(id)/cancel")
            #expect(again.status == 200)
            #expect(try again.json()["status"]?.string == "cancelled")

            // Past the scheduled time, the envelope still does not route.
            #expect(try await hub.post("/v1/sandbox/clock", json: ["seconds": 172_800]).status == 200)
            try await Task.sleep(for: .seconds(3))
            #expect(try await hub.eventTypes(of: id) == ["accepted", "cancelled"])
            #expect(try await hub.envelope(id)["status"]?.string == "cancelled")
        }
    }

    @Test("notBefore takes every RFC 3339 form; a malformed one is a 400 that says what is wrong")
    func notBeforeForms() async throws {
        try await withHub { hub in
            let recipient = try hub.recipient("physical").recipient
            let instant = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 86_400).rounded(.down))
            let forms = [
                rfc3339(instant),
                rfc3339(instant, fractionalSeconds: false),
                // The same instant in Swiss summer time.
                String(rfc3339(instant.addingTimeInterval(7_200), fractionalSeconds: false).dropLast()) + "+02:00",
            ]
            #expect(forms[2].hasSuffix("+02:00"), "\(forms[2])")
            for form in forms {
                let response = try await hub.submit(["recipient": recipient, "policy": ["notBefore": .string(form)]])
                #expect(response.status == 202, "notBefore \(form) was refused: \(response.text)")
                guard response.status == 202 else { continue }
                // Stored as the same instant, written back in UTC with milliseconds.
                #expect(try response.json()["policy"]?["notBefore"]?.string == rfc3339(instant), "\(form)")
            }

            let malformed = try await hub.submit(["recipient": recipient, "policy": ["notBefore": "tomorrow"]])
            #expect(malformed.status == 400)
            let problem = try malformed.json()
            #expect(problem["code"]?.string == "invalid_request")
            let pointer = problem["errors"]?[0]?["pointer"]?.string
            // Dates are decoded without their field's path: the problem names the part and says why.
            #expect(pointer == "/envelope", "\(malformed.text)")
            #expect(malformed.text.contains("RFC 3339"), "\(malformed.text)")
        }
    }
}
