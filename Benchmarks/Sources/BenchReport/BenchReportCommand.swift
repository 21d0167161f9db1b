print("bench-report: work in progress")
