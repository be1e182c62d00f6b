print("novita-mock")
