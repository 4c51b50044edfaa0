package zktest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kazoo-go/kazoo/proto"
)

// fourLetterTimeout bounds a four-letter word exchange when the caller's
// context has no deadline: a paused server would otherwise hang it forever.
const fourLetterTimeout = 10 * time.Second

// FourLetter sends a four-letter word (ruok, srvr, stat, mntr, cons, ...) to
// the ZooKeeper server at addr and returns its whole answer. The server
// answers only the words its 4lw.commands.whitelist allows; others get an
// explanation or a closed connection.
func FourLetter(ctx context.Context, addr, word string) (string, error) {
	if len(word) != 4 {
		return "", fmt.Errorf("zktest: four-letter word %q is not four letters", word)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, fourLetterTimeout)
		defer cancel()
	}
	c, _, err := dialServer(ctx, addr)
	if err != nil {
		return "", fmt.Errorf("zktest: %s %s: %w", word, addr, err)
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	c.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("zktest: %s %s: %w", word, addr, err)
	}
	// The server answers, then closes: read to the end.
	b, err := io.ReadAll(c)
	if err != nil && len(b) == 0 {
		return "", fmt.Errorf("zktest: %s %s: %w", word, addr, err)
	}
	return string(b), nil
}

// srvrInfo is what the harness reads from a srvr answer.
type srvrInfo struct {
	mode    string // standalone, leader, follower, observer; "" when not serving
	version proto.Version
}

func parseSrvr(s string) srvrInfo {
	var info srvrInfo
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Mode":
			info.mode = strings.TrimSpace(v)
		case "Zookeeper version":
			info.version, _ = ParseVersion(v)
		}
	}
	return info
}

// serving reports whether a srvr mode is one of a server that answers
// clients.
func serving(mode string) bool {
	switch mode {
	case "standalone", "leader", "follower", "observer":
		return true
	}
	return false
}
