// Deliberately bad: a variable nobody uses.
var unused = 'x'
