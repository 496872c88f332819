import Foundation
import XapiSync

/// Every command of `xapi-git`, in the order `--help` lists them.
let commands: [Command] =
    OrganizationCommands.all + MemberCommands.all + IntegrationCommands.all + TargetCommands.all(.api)
    + TargetCommands.all(.model) + SyncCommands.all + AuditCommands.all + HealthCommands.all + KeyCommands.all

let words = Array(CommandLine.arguments.dropFirst())
let status = await CommandLineTool(commands: commands).run(words, environment: ProcessInfo.processInfo.environment)
exit(status.rawValue)
