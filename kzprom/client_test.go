package kzprom_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzprom"
	"github.com/kazoo-go/kazoo/zktest"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMain(m *testing.M) { os.Exit(zktest.Main(m).Run()) }

// TestRealClient scrapes the metrics of a client that talked to a real
// server.
func TestRealClient(t *testing.T) {
	m := kzprom.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := kazoo.Connect(ctx, zktest.Shared(t).Chroot(t), kazoo.WithHooks(m))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.Create(ctx, "/n", []byte("v")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := c.Get(ctx, "/n"); err != nil {
			t.Fatal(err)
		}
	}
	_, _, _ = c.Get(ctx, "/missing")

	if got := value(t, reg, `kazoo_requests_total`, map[string]string{"op": "getData", "result": "ok"}); got != 3 {
		t.Errorf("getData ok = %v, want 3", got)
	}
	if got := value(t, reg, `kazoo_requests_total`, map[string]string{"op": "getData", "result": "no_node"}); got != 1 {
		t.Errorf("getData no_node = %v, want 1", got)
	}
	if got := value(t, reg, `kazoo_state`, map[string]string{"state": "Connected"}); got != 1 {
		t.Errorf("state Connected = %v, want 1", got)
	}
	if got := value(t, reg, `kazoo_connect_attempts_total`, map[string]string{"result": "ok"}); got != 1 {
		t.Errorf("connect attempts ok = %v, want 1", got)
	}
}

// value reads the series of a gathered metric family with these labels.
func value(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			for _, lp := range s.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue series
				}
			}
			return s.GetCounter().GetValue() + s.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
