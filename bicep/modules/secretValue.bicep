// How a stamp secret's value is chosen on every provision (used by keyVault.bicep).
//
// azd's $(secretOrRandomPassword <vault> <secret>) (main.parameters.json) returns the value already in the vault
// when azd knows the vault (AZURE_KEY_VAULT_NAME, an output of the first provision), else a fresh password of 15
// letters and digits. A stored value is 43 base64 characters and '='; a fresh password never contains '='. So a
// stored value is written back unchanged, and a fresh one is extended with more fresh azd passwords to 42 letters and
// digits, then 'A=': canonical base64 of 32 bytes (the last character's unused bits are zero, so strict decoders
// accept it too), about 230 bits of entropy (one azd password alone carries about 83).
// Re-provisioning therefore never rotates the payload master key, which would make every stored payload unreadable.

@export()
@description('The stored secret if the value is one (44 characters ending in \'=\'), else stored + entropy cut to 42 characters plus \'A=\'.')
func keepOrMint(stored string, entropy string) string =>
  length(stored) == 44 && endsWith(stored, '=') ? stored : '${take('${stored}${entropy}', 42)}A='
