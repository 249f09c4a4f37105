public enum DTraceCommand { public static func main() {} }
