// DTraceSystemTests/TracepointFormatTests: tracefs format files as the kernel writes them
// (plain fields, arrays, __data_loc strings) parsed into fields; garbled ones refused.

import DTraceSystem
import Testing

@Suite struct TracepointFormatTests {
    static let schedProcessExec = """
    name: sched_process_exec
    ID: 306
    format:
    \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
    \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
    \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
    \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

    \tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
    \tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
    \tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;
    \tfield:char comm[16];\toffset:20;\tsize:16;\tsigned:0;
    \tfield:const char * name;\toffset:40;\tsize:8;\tsigned:0;

    print fmt: "filename=%s pid=%d old_pid=%d", __get_str(filename), REC->pid, REC->old_pid
    """

    @Test func parsesFieldsIncludingDataLocation() throws {
        let fields = try #require(Tracefs.parseFormat(Self.schedProcessExec))
        #expect(fields.map(\.name) == ["common_type", "common_flags", "common_preempt_count", "common_pid", "filename", "pid", "old_pid", "comm", "name"])
        #expect(fields.map(\.typeName) == ["unsigned short", "unsigned char", "unsigned char", "int", "__data_loc char[]", "pid_t", "pid_t", "char[16]", "const char *"])
        #expect(fields.filter(\.isCommon).count == 4)
        #expect(fields[5].offset == 12 && fields[5].size == 4 && fields[5].signed)
    }

    @Test func garbledFormatIsRefused() {
        #expect(Tracefs.parseFormat("\tfield:int x;\toffset:zz;\tsize:4;\tsigned:1;\n") == nil)
        #expect(Tracefs.parseFormat("\tfield:;\toffset:0;\tsize:4;\tsigned:1;\n") == nil)
    }
}
