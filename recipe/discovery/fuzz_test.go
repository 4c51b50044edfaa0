package discovery

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kazoo-go/kazoo/recipe"
)

func FuzzDecodeInstance(f *testing.F) {
	f.Add([]byte(`{"name":"api","id":"j1","address":"127.0.0.1","port":31000,"sslPort":null,"payload":{"@class":"java.util.LinkedHashMap","zone":"eu"},"registrationTimeUTC":1,"serviceType":"DYNAMIC","uriSpec":null}`))
	f.Add([]byte(`{"name":"a","id":"b","payload":null}`))
	f.Add([]byte(`{not json`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := decodeInstance("/x", data)
		if err != nil {
			if !errors.Is(err, recipe.ErrBadValue) {
				t.Fatalf("error without ErrBadValue: %v", err)
			}
			return
		}
		enc, err := in.encode()
		if err != nil {
			return // e.g. a payload that is valid inside a document but not alone
		}
		again, err := decodeInstance("/x", enc)
		if err != nil || again.ID != in.ID || again.Name != in.Name {
			t.Fatalf("round trip of %q: %+v %v", enc, again, err)
		}
		enc2, _ := again.encode()
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %q then %q", enc, enc2)
		}
	})
}
