// Deliberately bad: a cloud-specific host name instead of environment().
output authority string = 'https://login.microsoftonline.com/'
