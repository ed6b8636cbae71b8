print("pegasus-em")
