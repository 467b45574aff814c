package auth_test

import (
	"os"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// TestMain hashes passwords at bcrypt's lowest cost: the tests sign in thousands of times, and at the
// production cost that takes minutes under the race detector. The hashes are bcrypt all the same.
func TestMain(m *testing.M) {
	auth.PasswordCost = bcrypt.MinCost
	os.Exit(m.Run())
}
