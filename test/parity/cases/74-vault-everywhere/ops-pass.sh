#!/bin/sh
echo ops-pass
