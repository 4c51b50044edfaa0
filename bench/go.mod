module github.com/kazoo-go/kazoo/bench

go 1.26.8

require github.com/kazoo-go/kazoo v0.0.0

require github.com/go-zookeeper/zk v1.0.4

replace github.com/kazoo-go/kazoo => ../
