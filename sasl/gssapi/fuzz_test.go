package gssapi

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

func testKey(t testing.TB) types.EncryptionKey {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: k}
}

// FuzzExchange feeds arbitrary server tokens to both steps: an error or an
// answer, never a panic.
func FuzzExchange(f *testing.F) {
	f.Add([]byte{0x60, 0x03, 0x06, 0x01, 0x00}, []byte{0x05, 0x04, 0x01, 0xff, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{}, []byte{})
	key := testKey(f)
	f.Fuzz(func(t *testing.T, aprep, offer []byte) {
		e := &exchange{key: key, ctime: time.Unix(1e9, 0)}
		if _, _, err := e.Next(t.Context(), aprep); err == nil {
			t.Fatal("a forged AP-REP was accepted")
		}
		e.step = 1 // as if the AP-REP had been good
		if _, _, err := e.Next(t.Context(), offer); err == nil {
			t.Fatal("a forged security layer offer was accepted")
		}
	})
}

func TestExchangeRejects(t *testing.T) {
	e := &exchange{key: testKey(t)}
	if _, _, err := e.Next(t.Context(), []byte("junk")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("junk AP-REP: %v", err)
	}
	if _, _, err := e.Next(t.Context(), make([]byte, 10)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short offer: %v", err)
	}
	if _, _, err := e.Next(t.Context(), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a third token: %v", err)
	}
}
