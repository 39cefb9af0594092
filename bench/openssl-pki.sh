#!/usr/bin/env bash
# The set tests/Benchmarks makes with KubePS, made with the openssl command line, for timing with hyperfine:
# a control-plane node's PKI as kubeadm 1.30 lays it out (3 CAs, 7 certificates, sa.key/sa.pub) and the
# admin, kubelet, controller-manager and scheduler kubeconfigs with their client certificates.
#   bench/openssl-pki.sh <output folder> [rsa|ec]
set -euo pipefail
out=${1:?usage: openssl-pki.sh <output folder> [rsa|ec]}
alg=${2:-rsa}
node=cp1 adv=10.0.0.11 server=https://10.0.0.11:6443
umask 077
mkdir -p "$out/pki/etcd"
cd "$out"

key() { # key <file>: kubeadm's encodings (PKCS#1 RSA or SEC1 EC)
  if [ "$alg" = ec ]; then openssl ecparam -name prime256v1 -genkey -noout -out "$1"
  else openssl genrsa -traditional -out "$1" 2048 2>/dev/null; fi
}

ca() { # ca <base> <cn>
  key "pki/$1.key"
  openssl req -x509 -new -key "pki/$1.key" -subj "/CN=$2" -days 3650 -set_serial "0x$(openssl rand -hex 8)" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "subjectKeyIdentifier=hash" \
    -addext "subjectAltName=DNS:$2" -out "pki/$1.crt"
}

leaf() { # leaf <out base> <ca base> <subject> <eku> [san]
  local ext="keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$4
basicConstraints=critical,CA:FALSE
authorityKeyIdentifier=keyid"
  [ -n "${5:-}" ] && ext="$ext
subjectAltName=$5"
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "pki/$2.crt" -CAkey "pki/$2.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 365 -extfile <(printf '%s\n' "$ext") -out "$1.crt" 2>/dev/null
  rm -f "$1.csr"
}

ca ca kubernetes
leaf pki/apiserver ca "/CN=kube-apiserver" serverAuth \
  "DNS:$node,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:$adv"
leaf pki/apiserver-kubelet-client ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
ca front-proxy-ca front-proxy-ca
leaf pki/front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
ca etcd/ca etcd-ca
leaf pki/etcd/server etcd/ca "/CN=$node" serverAuth,clientAuth "DNS:localhost,DNS:$node,IP:$adv,IP:127.0.0.1,IP:::1"
leaf pki/etcd/peer etcd/ca "/CN=$node" serverAuth,clientAuth "DNS:localhost,DNS:$node,IP:$adv,IP:127.0.0.1,IP:::1"
leaf pki/etcd/healthcheck-client etcd/ca "/CN=kube-etcd-healthcheck-client" clientAuth
leaf pki/apiserver-etcd-client etcd/ca "/CN=kube-apiserver-etcd-client" clientAuth
key pki/sa.key
openssl pkey -in pki/sa.key -pubout -out pki/sa.pub

kubeconfig() { # kubeconfig <file> <subject> <user>
  leaf "kc-$1" ca "$2" clientAuth
  cat > "$1" <<YAML
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 pki/ca.crt)
    server: $server
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: $3
  name: $3@kubernetes
current-context: $3@kubernetes
kind: Config
preferences: {}
users:
- name: $3
  user:
    client-certificate-data: $(base64 -w0 "kc-$1.crt")
    client-key-data: $(base64 -w0 "kc-$1.key")
YAML
  rm -f "kc-$1.crt" "kc-$1.key"
}
kubeconfig admin.conf "/O=kubeadm:cluster-admins/CN=kubernetes-admin" kubernetes-admin
kubeconfig kubelet.conf "/O=system:nodes/CN=system:node:$node" "system:node:$node"
kubeconfig controller-manager.conf "/CN=system:kube-controller-manager" system:kube-controller-manager
kubeconfig scheduler.conf "/CN=system:kube-scheduler" system:kube-scheduler
chmod 644 pki/*.crt pki/etcd/*.crt
