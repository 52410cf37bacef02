print("missive")
