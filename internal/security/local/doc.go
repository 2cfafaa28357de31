// Package local owns Kuzzle's built-in "local" authentication strategy:
// credentials made of a username and a password, as the
// kuzzle-plugin-auth-passport-local plugin (6.4.1) keeps them, with its
// actions (validate, create, update, delete, exists, getInfo, getById,
// search, verify) and its error messages.
//
// Credentials live in the store's internal index, one document per user in
// "%kuzzle":"credentials-local" whose _id is the username (usernames are
// unique) and whose body holds the kuid, the username, the password's PHC
// hash (internal/security/password), the bounded history of previous
// hashes, the updater and when the password was last set. A kuid has at
// most one username.
//
// The strategy needs no actor and no network: controllers call it and map
// its answers onto Kuzzle's API; the policies' login errors are
// *password.PolicyError values, every other error a *kerror.Error.
//
// local imports internal/jsonx, internal/kerror, internal/store,
// internal/store/mapping, internal/store/query and
// internal/security/password only; it must not import actors, controllers,
// a store engine or MQTT code.
package local
