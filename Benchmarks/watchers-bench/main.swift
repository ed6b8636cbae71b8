print("watchers-bench")
