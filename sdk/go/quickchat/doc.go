// Manage the Conversation Rating setting of Quickchat AI Agents.
package quickchat
