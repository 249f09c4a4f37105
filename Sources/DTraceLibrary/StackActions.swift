// DTraceLibrary/StackActions: stack([frames]) and ustack([frames]) — the kernel or user
// stack recorded (a stack id; a user one with its process) and printed a frame a line,
// kernel frames named from kallsyms, user frames from the process's own files.

import DTraceConsumer
import DTraceIR
import DTraceLanguage
import DTraceSystem

struct StackActions: ActionDefinition {
    var names: [String] { ["stack", "ustack"] }

    func compile(_ call: ActionArguments) throws(Diagnostic) {
        let frames = try call.stackFrames()
        let user = call.name == "ustack"
        let presence = call.beginAction()
        let id = call.call(.stackID(user: user), [])
        let field = user ? call.recordWithProcess(id, as: .stack(frames: frames, user: true)) : call.recordInt64(id)
        call.markUsesStacks()
        call.addAction(StackOutput(frames: frames, user: user), fields: [field], presence: presence)
    }
}

struct StackOutput: ConsumedAction {
    let frames: Int
    let user: Bool
    var description: String { "\(user ? "ustack" : "stack")(\(frames))" }

    func perform(_ fields: [RecordField], record: [UInt8], consumer: Consumer) {
        consumer.write(consumer.stackText(record, fields[0], frames: frames, user: user))
    }

    func jsonEntry(_ fields: [RecordField], record: [UInt8], consumer: Consumer) -> JSONValue? {
        .object([("action", .string(user ? "ustack" : "stack")),
                 ("frames", .array(consumer.stackFrames(record, fields[0], frames: frames, user: user).map { .string($0) }))])
    }
}
