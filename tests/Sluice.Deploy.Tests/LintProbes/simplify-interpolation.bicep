// Deliberately bad: an interpolation of a single string.
param name string

output same string = '${name}'
