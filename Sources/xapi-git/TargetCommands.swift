import Foundation
import XapiSync

/// `api add|switch|show` and `model add|switch|show`.
enum TargetCommands {
    static func all(_ kind: TargetName.Kind) -> [Command] {
        let word = kind.rawValue
        let placeholder = kind == .api ? "PROJECT/API@VERSION" : "PROJECT/MODEL"
        return [
            Command(
                path: [word, "add"],
                usage: "xapi-git \(word) add \(placeholder)",
                summary: "Add \(kind == .api ? "an API version" : "a model") that can be synced."
            ) { invocation in
                let name = try TargetName(kind: kind, parsing: try invocation.arguments.single(placeholder))
                try await invocation.connector().addTarget(name, as: try invocation.actor())
                invocation.output.line("added \(word) \(name)")
            },
            Command(
                path: [word, "switch"],
                usage: "xapi-git \(word) switch \(placeholder) --integration NAME",
                summary: "Verify an integration and make it the one this \(kind == .api ? "API version" : "model") syncs to.",
                valueOptions: ["integration"]
            ) { invocation in
                let name = try TargetName(kind: kind, parsing: try invocation.arguments.single(placeholder))
                let integration = try invocation.arguments.required("integration")
                let view = try await invocation.connector().switchTarget(name, to: integration, as: try invocation.actor())
                printTarget(view, invocation.output)
            },
            Command(
                path: [word, "show"],
                usage: "xapi-git \(word) show \(placeholder) [--json]",
                summary: "Show the selected integration and the last sync."
            ) { invocation in
                let name = try TargetName(kind: kind, parsing: try invocation.arguments.single(placeholder))
                printTarget(try await invocation.connector().target(name, as: try invocation.actor()), invocation.output)
            },
        ]
    }

    static func printTarget(_ view: TargetView, _ output: Output) {
        if output.json {
            var object: [String: Any] = ["kind": view.name.kind.rawValue, "name": view.name.description]
            // Assign unwrapped values only: an Optional stored as `Any` is not valid JSON.
            if let integration = view.integration {
                object["integration"] = Render.integration(integration)
            }
            if let sync = view.lastSync {
                var values: [String: Any] = ["at": Render.date(sync.at), "by": sync.actor, "files": sync.files.map(\.path)]
                values["commit"] = sync.commitID
                object["last_sync"] = values
            }
            output.printJSON(object)
            return
        }

        output.line("\(view.name.kind.rawValue) \(view.name)")
        if let integration = view.integration {
            output.line(
                "  integration: \(integration.name) (\(integration.platform), \(integration.repository), "
                    + "\(integration.branch), \(integration.state.rawValue))"
            )
        } else {
            output.line("  integration: none selected")
        }
        if let sync = view.lastSync {
            output.line("  last sync:   \(sync.commitID ?? "unchanged") at \(Render.date(sync.at)) by \(sync.actor)")
        } else {
            output.line("  last sync:   never")
        }
    }
}
