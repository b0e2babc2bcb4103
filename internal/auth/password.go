package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
)

// Each argon2id hash holds 19 MiB for its duration, so the number of hashes
// computed at once is bounded: a flood of logins queues here instead of
// growing the heap by 19 MiB per request.
var (
	hashSlots    = make(chan struct{}, max(2, min(runtime.NumCPU(), 8)))
	hashInFlight atomic.Int64
	hashPeak     atomic.Int64
)

// acquireHash waits for a hashing slot or for ctx to end.
func acquireHash(ctx context.Context) (release func(), err error) {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	n := hashInFlight.Add(1)
	for {
		p := hashPeak.Load()
		if n <= p || hashPeak.CompareAndSwap(p, n) {
			break
		}
	}
	return func() { hashInFlight.Add(-1); <-hashSlots }, nil
}

// HashSlots is the most password hashes computed at once.
func HashSlots() int { return cap(hashSlots) }

// PeakHashes is the most password hashes that were ever computed at once
// in this process (for tests and metrics).
func PeakHashes() int64 { return hashPeak.Load() }

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashCost is the argon2id cost of new hashes: argonTime passes over
// argonMemory KiB. Checking a password reads the cost from its hash, so
// hashes of either cost are checked alike.
var hashCost atomic.Pointer[[2]uint32]

func cost() (t, m uint32) {
	if c := hashCost.Load(); c != nil {
		return c[0], c[1]
	}
	return argonTime, argonMemory
}

// UseTestHashCost makes the password hashes this process computes from
// now on cheap — one pass over 64 KiB instead of two over 19 MiB — so that
// tests creating hundreds of accounts and logins do not spend most of
// their time hashing. Hashes stay argon2id and are checked as before. It
// panics outside a test binary: a server never hashes cheaply.
func UseTestHashCost() {
	if !testing.Testing() {
		panic("auth: UseTestHashCost outside a test binary")
	}
	hashCost.Store(&[2]uint32{1, 64})
}

// HashPassword returns an encoded argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	release, err := acquireHash(context.Background())
	if err != nil {
		return "", err
	}
	defer release()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	t, m := cost()
	key := argon2.IDKey([]byte(pw), salt, t, m, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the encoded hash, in constant
// time for a given hash.
func CheckPassword(hash, pw string) bool {
	ok, _ := checkPassword(context.Background(), hash, pw)
	return ok
}

// checkPassword is CheckPassword waiting for a hashing slot no longer than
// ctx allows.
func checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	release, err := acquireHash(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return verifyPassword(hash, pw), nil
}

func verifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
