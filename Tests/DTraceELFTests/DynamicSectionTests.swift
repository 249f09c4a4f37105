// DTraceELFTests/DynamicSectionTests: DT_NEEDED, DT_SONAME and DT_RUNPATH of the
// synthetic object, $ORIGIN expansion (known, unknown, ${ORIGIN}), and a real executable's.

@testable import DTraceELF
import DTraceSystem
import Glibc
import Testing

@Suite struct DynamicSectionTests {
    @Test func syntheticDynamicSection() throws {
        let object = try ELFObject.parse(bytes: SyntheticELF.bytes()).get()
        let dynamic = object.dynamic
        #expect(dynamic.neededLibraries == SyntheticELF.needed)
        #expect(dynamic.soname == SyntheticELF.soname)
        #expect(dynamic.runPathText == SyntheticELF.runPath)
        #expect(dynamic.rPathText == nil)
        #expect(dynamic.runPath(origin: "/srv/app/bin") == ["/srv/app/bin/../lib", "/opt/synth/lib"])
        // In memory there is no directory for $ORIGIN: those entries are left out.
        #expect(object.runPath == ["/opt/synth/lib"])
        #expect(object.neededLibraries == SyntheticELF.needed)
        #expect(object.soname == SyntheticELF.soname)
    }

    @Test func originExpansion() {
        let section = DynamicSection(rPathText: "${ORIGIN}/a:$ORIGIN:/b::/c/$ORIGIN/d")
        #expect(section.rPath(origin: "/o") == ["/o/a", "/o", "/b", "/c//o/d"])
        #expect(section.rPath(origin: nil) == ["/b"])
        #expect(section.runPath(origin: "/o").isEmpty)
    }

    @Test func fromAFileTheOriginIsItsDirectory() throws {
        let directory = try Fixture.makeTemporaryDirectory("dtrace-elf")
        defer { rmdir(directory) }
        let path = directory + "/libsynth.so.1"
        let bytes = SyntheticELF.bytes()
        let stream = try #require(fopen(path, "wb"))
        #expect(fwrite(bytes, 1, bytes.count, stream) == bytes.count)
        fclose(stream)
        defer { unlink(path) }
        let object = try ELFObject.load(path: path).get()
        #expect(object.runPath == [directory + "/../lib", "/opt/synth/lib"])
        #expect(object.usdtProbes.count == 2)
    }

    @Test(.enabled(if: Fixture.shouldRun(Fixture.ls))) func lsNeedsLibc() throws {
        try Fixture.require(Fixture.ls)
        let ls = try ELFObject.load(path: Fixture.ls).get()
        #expect(ls.neededLibraries.contains("libc.so.6"))
        #expect(ls.soname == nil)
    }
}
