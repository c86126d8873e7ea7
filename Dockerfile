FROM node:20-alpine
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs
COPY config ./config
COPY examples ./examples
ENTRYPOINT ["node", "bin/relayq.js"]
CMD ["worker"]
