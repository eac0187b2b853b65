// Deliberately bad: concat() instead of string interpolation.
param name string

output url string = concat('https://', name)
