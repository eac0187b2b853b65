// Deliberately bad: a parameter named like a secret without @secure().
param adminPassword string

output length int = length(adminPassword)
