package local

import (
	"fmt"

	"github.com/starlingmq/starling/internal/kerror"
)

// The plugin throws BadRequestError, PreconditionError and ForbiddenError
// without ids; these carry its messages under the closest Kuzzle ids.
// Kuzzle's catalogue has no precondition id for credentials: the
// plugin's PreconditionError (412) answers security.credentials.rejected
// (400), the id Kuzzle itself gives credentials refused at user creation.

// kuidInCredentials is validate's refusal of a kuid inside credentials.
func kuidInCredentials() error {
	return kerror.WithMessage("kuid cannot be specified in credentials.", "api.assert.forbidden_argument", "kuid")
}

// kuidInUpdate is update's refusal of a kuid inside credentials.
func kuidInUpdate() error {
	return kerror.WithMessage("The request must not contain a kuid attribute.", "api.assert.forbidden_argument", "kuid")
}

// usernameRequired is a create without username.
func usernameRequired() error {
	return kerror.WithMessage("Username required.", "api.assert.missing_argument", "username")
}

// passwordRequired is validate's create without password.
func passwordRequired() error {
	return kerror.WithMessage("Password required.", "api.assert.missing_argument", "password")
}

// passwordNeeded is create's refusal of credentials without password.
func passwordNeeded() error {
	return kerror.WithMessage("Password needed.", "api.assert.missing_argument", "password")
}

// nothingToUpdate is an update with neither username nor password.
func nothingToUpdate() error {
	return kerror.WithMessage("Missing username or password.", "security.credentials.rejected", "Missing username or password.")
}

// usernameTaken is a username another user has.
func usernameTaken(username string) error {
	msg := fmt.Sprintf("Login \"%s\" is already used.", username)
	return kerror.WithMessage(msg, "security.credentials.rejected", msg)
}

// alreadyHasCredentials is a create for a user who has credentials.
func alreadyHasCredentials(kuid string) error {
	msg := fmt.Sprintf("A strategy already exists for user \"%s\".", kuid)
	return kerror.WithMessage(msg, "security.credentials.rejected", msg)
}

// noCredentialsForUser is a user without credentials.
func noCredentialsForUser(kuid string) error {
	msg := fmt.Sprintf("No credentials found for user \"%s\".", kuid)
	return kerror.WithMessage(msg, "security.credentials.rejected", msg)
}

// noCredentialsForUsername is an unknown username.
func noCredentialsForUsername(username string) error {
	msg := fmt.Sprintf("No credentials found for username \"%s\".", username)
	return kerror.WithMessage(msg, "security.credentials.rejected", msg)
}

// wrongCredentials is a failed verification, the same for an unknown
// username and a wrong password: Kuzzle's answer to the plugin's
// {kuid: null, message}.
func wrongCredentials() error {
	return kerror.New("plugin.strategy.missing_user", "wrong username or password")
}

// currentPasswordRequired is passwordRequiredCheck without the current
// password.
func currentPasswordRequired() error {
	return kerror.WithMessage("Cannot update credentials: password required.", "api.assert.missing_argument", "currentPassword")
}

// invalidCurrentPassword is passwordRequiredCheck with a wrong current
// password (or a user without credentials).
func invalidCurrentPassword() error {
	return kerror.WithMessage("Invalid user or password.", "security.rights.forbidden", "auth", "updateMyCredentials", "")
}

// invalidCredentialsBody is credentials that are not a JSON object.
func invalidCredentialsBody() error {
	return kerror.New("api.assert.invalid_argument", "body", "an object")
}

// notAString is a username or password of another type.
func notAString(field string) error {
	return kerror.New("api.assert.invalid_type", field, "string")
}

// forbiddenSearchField is a search on a stored field other than username.
func forbiddenSearchField(key string) error {
	msg := fmt.Sprintf("Forbidden field \"%s\". Only the \"username\" or \"kuid\" fields are sortable and only the first is also searchable.", key)
	return kerror.WithMessage(msg, "security.rights.forbidden", "security", "searchUsersByCredentials", "")
}

// forbiddenSearchKeyword is a search keyword outside the plugin's lists.
func forbiddenSearchKeyword(key string) error {
	msg := fmt.Sprintf("The \"%s\" keyword is not allowed in this search query for security concerns.", key)
	return kerror.WithMessage(msg, "api.assert.forbidden_argument", key)
}
