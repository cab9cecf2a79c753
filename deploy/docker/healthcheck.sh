#!/bin/bash
# Docker's health check for an ImageBus service: GET a path (default /health/ready) on the service's own port and
# succeed on 200. Bash alone: the .NET runtime image has no curl or wget.
exec 3<>"/dev/tcp/127.0.0.1/${HEALTH_PORT:-8080}" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "${1:-/health/ready}" >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ $status == "HTTP/1.1 200"* ]]
