// Package password owns the local strategy's password hashing and its
// password policies.
//
// Hashing is Argon2id (golang.org/x/crypto/argon2) encoded as a PHC string,
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>" with standard
// unpadded base64, the format of the reference implementation and of most
// libraries. A hash carries its own parameters, so hashes made under an
// older Config still verify; NeedsRehash tells the caller when to store a
// new one (Kuzzle's local strategy likewise re-hashes at login when the
// configured algorithm changed).
//
// Policies are the pure checks of Kuzzle's passport-local plugin
// (passwordPolicies: forbidLoginInPassword, passwordRegex, expiresAfter,
// mustChangePasswordIfSetByAdmin, forbidReusedPasswordCount), answering
// the plugin's errors.
//
// password imports no package of the module (only golang.org/x/crypto/argon2);
// it must not import actors, the store, controllers or MQTT code.
package password
