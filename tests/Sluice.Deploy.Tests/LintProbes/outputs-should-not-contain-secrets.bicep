// Deliberately bad: a secure parameter leaks through an output.
@secure()
param masterKey string

output leaked string = masterKey
