// Deliberately bad: a parameter nobody uses.
param unused string
