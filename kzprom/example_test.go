package kzprom_test

import (
	"context"
	"log"
	"net/http"

	"github.com/kazoo-go/kazoo"
	"github.com/kazoo-go/kazoo/kzprom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// A client whose metrics are served on /metrics.
func Example() {
	m := kzprom.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	c, err := kazoo.Connect(context.Background(), "127.0.0.1:2181", kazoo.WithHooks(m))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}
