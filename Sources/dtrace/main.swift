import DTraceCLI
DTraceCommand.main()
